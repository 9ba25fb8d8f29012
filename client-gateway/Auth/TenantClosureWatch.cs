using ChatCluster.Gateway.Sockets;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Auth;

/// <summary>
/// R3 on open sockets: polls the cluster's <see cref="ITenantClosureBoardGrain"/> every <see cref="PollInterval"/> and,
/// for an account closed anywhere, drops this gateway's cached standing and closes the account's sockets here
/// (<c>tenant_closed</c>, 4003) — within a poll, where the per-socket watchdog alone takes its tick plus the cache's
/// lifetime. A reopening drops the cached standing too. One grain call per gateway and poll, however many tenants.
/// </summary>
public sealed class TenantClosureWatch(IClusterClient grains, TenantStandings standings, ConnectionRegistry connections,
    TimeProvider time, ILogger<TenantClosureWatch> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private Guid epoch;
    private long seen;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval, time);
        var failures = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                Apply(await grains.GetGrain<ITenantClosureBoardGrain>(ITenantClosureBoardGrain.Key).Since(epoch, seen));
                failures = 0;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The cluster is starting or unreachable: the per-socket watchdog still notices closures meanwhile.
                if (++failures % 120 == 1) logger.LogWarning("Polling the closure board failed ({ErrorType}); retrying every {Interval}", ex.GetType().Name, PollInterval);
            }
        }
    }

    private void Apply(ClosureNews news)
    {
        foreach (var change in news.Changes)
        {
            standings.Forget(change.TenantId);
            if (change.Standing == TenantStanding.Closed) connections.CloseTenant(change.TenantId);
        }
        epoch = news.Epoch;
        seen = news.Last;
    }
}
