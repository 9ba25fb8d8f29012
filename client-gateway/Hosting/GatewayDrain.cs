using ChatCluster.Gateway.Sockets;

namespace ChatCluster.Gateway.Hosting;

/// <summary>
/// On shutdown, before the co-hosted silo or the cluster client stops, tells every socket to reconnect
/// (close 1012) so clients move to another gateway and resume without losing anything (C6).
/// </summary>
public sealed class GatewayDrain(ConnectionRegistry connections, ILogger<GatewayDrain> logger) : IHostedLifecycleService
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (connections.Count == 0) return;
        logger.LogInformation("Draining {Count} sockets: telling them to reconnect", connections.Count);
        await connections.Drain(Grace);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
