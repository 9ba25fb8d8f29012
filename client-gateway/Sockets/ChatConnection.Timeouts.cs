using ChatCluster.Gateway.Protocol;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Sockets;

/// <summary>Hello, idle and tenant-closed timeouts, looked at by the gateway-wide <see cref="ConnectionSweep"/>.</summary>
public sealed partial class ChatConnection
{
    private long nextStandingCheck;
    private Task<TenantStanding>? standingCheck;

    /// <summary>
    /// Called by the sweep, never concurrently with itself; never waits. Closes the socket that said no hello within
    /// the hello timeout (4001), that sent nothing for the idle timeout (4008), or whose tenant was closed (R3, 4003).
    /// </summary>
    internal void Sweep(long now)
    {
        if (Closing) return;
        var options = services.Options;
        var time = services.Time;
        if (session is null && time.GetElapsedTime(connectedAt, now) >= options.HelloTimeout)
        {
            RequestClose(CloseCodes.HelloTimeout, "no hello", new ErrorFrame { Code = ErrorCodes.NotAuthenticated, Message = $"Send a hello within {options.HelloTimeout.TotalSeconds:0} seconds of connecting." });
            return;
        }
        if (time.GetElapsedTime(Volatile.Read(ref lastReceived), now) >= options.IdleTimeout)
        {
            RequestClose(CloseCodes.IdleTimeout, "idle", new ErrorFrame { Code = ErrorCodes.IdleTimeout, Message = $"Nothing received for {options.IdleTimeout.TotalSeconds:0} seconds; send a ping frame at least every {options.IdleTimeout.TotalSeconds / 3:0} seconds." });
            return;
        }
        if (session is { } current && TenantGone(current, now))
        {
            RequestClose(CloseCodes.Forbidden, "tenant closed", new ErrorFrame
            {
                Code = ErrorCodes.TenantClosed,
                Message = current.IsAgent
                    ? "This account was closed; its data is deleted at the end of the grace period."
                    : "This chat is no longer available: the site's account is closed.",
            });
        }
    }

    /// <summary>
    /// R3: a socket that said hello before its tenant was closed is closed too (within the check interval plus the
    /// standings cache's lifetime, on every gateway), so no widget or console keeps using a closed account's data.
    /// The sweep never waits for the cluster: a question still open is looked at again on the next sweep, and a
    /// cluster that does not answer leaves the socket open (the idle and hello checks keep running meanwhile).
    /// </summary>
    private bool TenantGone(Session current, long now)
    {
        if (standingCheck is { } pending)
        {
            if (!pending.IsCompleted) return false;
            standingCheck = null;
            if (!pending.IsCompletedSuccessfully)
            {
                _ = pending.Exception; // observed: a timeout or an unavailable cluster, asked again at the next check
                return false;
            }
            return pending.Result != TenantStanding.Open;
        }
        if (now < nextStandingCheck) return false;
        nextStandingCheck = now + (long)(ConnectionSweep.StandingCheckInterval(services.Options).TotalSeconds * services.Time.TimestampFrequency);
        var check = services.Standings.Get(current.TenantId);
        if (check.IsCompletedSuccessfully) return check.Result != TenantStanding.Open;
        standingCheck = check.AsTask();
        return false;
    }
}
