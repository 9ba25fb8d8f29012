using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Tests.Transport;

/// <summary>
/// A gateway whose log is captured, with a long idle timeout and a short hello timeout and heartbeat, so the
/// hello deadline is not hidden behind a coarse check and the server's pings come within the test.
/// </summary>
public sealed class TransportFixture : GatewayFixture
{
    public CapturedLog Log { get; } = new();

    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:Gateway:HelloTimeout"] = "00:00:02",
        ["ChatCluster:Gateway:IdleTimeout"] = "00:01:00",
        ["ChatCluster:Gateway:HeartbeatInterval"] = "00:00:01",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(Log);
}
