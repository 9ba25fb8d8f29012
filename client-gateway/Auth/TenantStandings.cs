using System.Collections.Concurrent;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Auth;

/// <summary>
/// What a tenant grain says about its tenant's sessions (<see cref="TenantAccess"/>: open, closed (R3) or gone, its
/// generation, whether a second factor is required, each member's security stamp), remembered for a few seconds so an
/// agent's every API call and every socket's check does not cost a grain call. Staleness: a change made through this
/// gateway is seen at once (the endpoints call <see cref="Forget"/>); one made through another gateway within
/// <see cref="Lifetime"/>, so a revoked session may still be served by another gateway for that long (T2).
/// </summary>
public sealed class TenantStandings(IClusterClient grains, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A token issued after the cached entry was fetched (a member just added, or logged in again after a change made
    /// on another gateway) may not match it yet: then the tenant is asked again, at most this often. A token older
    /// than the entry is judged by it, so replaying a revoked token costs no grain call. The slack covers the clocks
    /// of different gateways.
    /// </summary>
    private static readonly TimeSpan ClockSlack = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RecheckAfter = TimeSpan.FromMilliseconds(200);

    /// <summary>Beyond this many remembered tenants, expired entries are dropped, so the map cannot grow without bound.</summary>
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, (Task<TenantAccess> Access, DateTimeOffset Until)> known = new(StringComparer.Ordinal);

    /// <summary>Raised after <see cref="Forget"/>, so open sockets of the tenant are checked again at once.</summary>
    public event Action<string>? Changed;

    /// <summary>The tenant's standing.</summary>
    public async ValueTask<TenantStanding> Get(string tenantId) => (await Access(tenantId)).Standing;

    /// <summary>
    /// Whether <paramref name="agent"/>'s token still opens its tenant: the tenant is the same one (generation), the
    /// member is still there with the same role, password and second factor (stamp), and a required second factor
    /// was part of the login.
    /// </summary>
    public async ValueTask<SessionCheck> Check(AgentPrincipal agent)
    {
        var check = Verdict(await Access(agent.TenantId), agent);
        if (check is SessionCheck.Valid or SessionCheck.TenantClosed) return check;
        if (agent.IssuedAt is not { } issued || !known.TryGetValue(agent.TenantId, out var entry) || FetchedAt(entry) > issued + ClockSlack) return check;
        var now = time.GetUtcNow();
        var asked = known.AddOrUpdate(agent.TenantId, _ => (Ask(agent.TenantId), now + Lifetime),
            (_, old) => FetchedAt(old) > issued + ClockSlack || FetchedAt(old) > now - RecheckAfter ? old : (Ask(agent.TenantId), now + Lifetime));
        return Verdict(await asked.Access, agent);
    }

    private static DateTimeOffset FetchedAt((Task<TenantAccess> Access, DateTimeOffset Until) entry) => entry.Until - Lifetime;

    private static SessionCheck Verdict(TenantAccess access, AgentPrincipal agent)
    {
        if (access.Standing == TenantStanding.Unknown || access.Generation != agent.Stamp.TenantGeneration) return SessionCheck.TenantGone;
        if (!access.AgentStamps.TryGetValue(agent.AgentId, out var stamp) || stamp != agent.Stamp.AgentStamp) return SessionCheck.Revoked;
        if (access.RequireMfa && !agent.SecondFactor && !agent.EnrolOnly) return SessionCheck.SecondFactorRequired;
        return access.Standing == TenantStanding.Closed ? SessionCheck.TenantClosed : SessionCheck.Valid;
    }

    /// <summary>
    /// Callers asking at once share one grain call: every open socket checks its tenant (see
    /// <c>ChatConnection.Watchdog</c> and <see cref="SessionRevocation"/>), and thousands must not all ask when an entry expires.
    /// </summary>
    private async ValueTask<TenantAccess> Access(string tenantId)
    {
        var now = time.GetUtcNow();
        if (known.TryGetValue(tenantId, out var entry) && Fresh(entry, now))
            return await entry.Access;
        if (known.Count > PruneAbove)
        {
            foreach (var (id, old) in known)
                if (old.Until <= now) known.TryRemove(id, out _);
        }
        var asked = known.AddOrUpdate(tenantId,
            _ => (Ask(tenantId), now + Lifetime),
            (_, old) => Fresh(old, now) ? old : (Ask(tenantId), now + Lifetime));
        return await asked.Access;
    }

    private static bool Fresh((Task<TenantAccess> Access, DateTimeOffset Until) entry, DateTimeOffset now) =>
        entry.Until > now && !entry.Access.IsFaulted && !entry.Access.IsCanceled;

    private Task<TenantAccess> Ask(string tenantId) => grains.GetGrain<ITenantGrain>(tenantId).GetAccess();

    /// <summary>The tenant or one of its members just changed here: ask its grain again on the next call.</summary>
    public void Forget(string tenantId)
    {
        known.TryRemove(tenantId, out _);
        Changed?.Invoke(tenantId);
    }
}

/// <summary>What <see cref="TenantStandings.Check"/> found about a session.</summary>
public enum SessionCheck
{
    Valid,

    /// <summary>The tenant is closed (R3) but within its grace period: only the closure endpoints still answer.</summary>
    TenantClosed,

    /// <summary>The tenant was purged, never existed, or is another tenant under a reused id.</summary>
    TenantGone,

    /// <summary>The member was removed, or their role, password or second factor changed since the token was issued.</summary>
    Revoked,

    /// <summary>The tenant now requires a second factor and this session was opened with a password alone.</summary>
    SecondFactorRequired,
}
