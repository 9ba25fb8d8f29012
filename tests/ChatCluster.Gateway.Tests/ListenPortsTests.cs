using System.Net;
using System.Net.Sockets;
using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Gateway.Tests;

/// <summary>Ports for listeners that bind later stay out of the kernel's ephemeral range, where outgoing connections take theirs.</summary>
public sealed class ListenPortsTests
{
    [Fact]
    public void Ports_are_below_the_ephemeral_range_distinct_and_bindable()
    {
        var ports = Enumerable.Range(0, 50).Select(_ => ListenPorts.Next()).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, 20_000, 32_767));
        using var listener = new TcpListener(IPAddress.Loopback, ports[0]);
        listener.Start();
        Assert.Equal(ports[0], ((IPEndPoint)listener.LocalEndpoint).Port);
    }
}
