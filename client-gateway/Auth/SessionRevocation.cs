using ChatCluster.Gateway.Protocol;
using ChatCluster.Gateway.Sockets;

namespace ChatCluster.Gateway.Auth;

/// <summary>
/// Closes the open sockets of agents whose session ended (T2): removed, role, password or second factor changed,
/// MFA newly required, or the tenant purged and its id reused. A change made through this gateway is acted on at
/// once (<see cref="TenantStandings.Changed"/>); one made elsewhere within a sweep plus the standings' cache lifetime.
/// Each socket gets an <c>error</c> frame <c>session_revoked</c>, then close 4003.
/// </summary>
public sealed class SessionRevocation(ConnectionRegistry connections, TenantStandings standings, ILogger<SessionRevocation> logger) : BackgroundService
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        standings.Changed += OnChanged;
        try
        {
            using var timer = new PeriodicTimer(SweepInterval);
            while (await timer.WaitForNextTickAsync(stoppingToken)) await Sweep(null);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            standings.Changed -= OnChanged;
        }
    }

    private void OnChanged(string tenantId) => _ = Sweep(tenantId);

    /// <summary>Checks every agent socket (of <paramref name="tenantId"/> only, when given); the standings share one grain call per tenant.</summary>
    private async Task Sweep(string? tenantId)
    {
        foreach (var connection in connections.Agents())
        {
            if (connection.Agent is not { } agent || (tenantId is not null && agent.TenantId != tenantId)) continue;
            try
            {
                var check = await standings.Check(agent);
                if (check is SessionCheck.Revoked or SessionCheck.SecondFactorRequired or SessionCheck.TenantGone)
                {
                    connection.RequestClose(CloseCodes.Forbidden, "session revoked",
                        new ErrorFrame { Code = ErrorCodes.SessionRevoked, Message = SessionMessages.Revoked(check) });
                }
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException)
            {
                // An unavailable cluster leaves the socket open; the next sweep asks again.
                logger.LogDebug(ex, "Session check of {Tenant} failed", agent.TenantId);
            }
        }
    }
}
