using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Gateway.Sockets;

/// <summary>
/// One timer for the whole gateway instead of a watchdog per socket (issue 13): a few times a second it looks at
/// every open socket's hello, idle and tenant-closed deadlines (<see cref="ChatConnection.Sweep"/>), so a timeout
/// closes within <see cref="Tick"/> of its configured value and an idle socket holds no timer, task or loop of its own.
/// A look is a few comparisons; 100,000 sockets cost a couple of milliseconds per tick.
/// </summary>
public sealed class ConnectionSweep(ConnectionRegistry connections, TimeProvider time, ILogger<ConnectionSweep> logger) : IHostedService, IDisposable
{
    /// <summary>How often the sweep runs: the precision of every socket timeout.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    private readonly object running = new();
    private ITimer? timer;

    /// <summary>How often a socket's tenant is asked whether it is still open (R3).</summary>
    public static TimeSpan StandingCheckInterval(GatewayOptions options) =>
        TimeSpan.FromSeconds(Math.Clamp(options.IdleTimeout.TotalSeconds / 10, Tick.TotalSeconds, 5));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        timer = time.CreateTimer(_ => Run(), null, Tick, Tick);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        timer?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>One pass over every socket; a pass still running when the next tick comes makes that tick a no-op.</summary>
    public void Run()
    {
        if (!Monitor.TryEnter(running)) return;
        try
        {
            var now = time.GetTimestamp();
            foreach (var connection in connections.All)
            {
                try
                {
                    connection.Sweep(now);
                }
                catch (Exception ex)
                {
                    logger.LogWarning(ex, "Checking the timeouts of connection {Connection} failed", connection.Id);
                }
            }
        }
        finally
        {
            Monitor.Exit(running);
        }
    }

    public void Dispose() => timer?.Dispose();
}
