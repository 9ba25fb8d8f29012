using System.Net;
using System.Net.Sockets;

namespace ChatCluster.Gateway.Hosting;

/// <summary>
/// Ports for a listener that starts a little later (a silo, a child process): picked below Linux's ephemeral range
/// (32768–60999), because a port the kernel hands out for "port 0" is an ephemeral one, and any outgoing connection
/// on the machine may take it as its source port before the listener binds it. A port is only handed out once per
/// process and only if it can be bound right now.
/// </summary>
public static class ListenPorts
{
    private const int First = 20_000;
    private const int Last = 32_767;

    private static readonly HashSet<int> Given = [];

    public static int Next()
    {
        lock (Given)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(First, Last + 1);
                if (Given.Contains(port) || !Bindable(port)) continue;
                Given.Add(port);
                return port;
            }
        }
        throw new InvalidOperationException($"No free port between {First} and {Last} on the loopback address.");
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            using var any = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Close();
            any.Bind(new IPEndPoint(IPAddress.Any, port)); // silos listen on every address
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
