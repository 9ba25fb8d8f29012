using System.Collections.Concurrent;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Auth;

/// <summary>
/// Whether a tenant is open, closed (R3) or gone, as its tenant grain says, remembered for a few seconds so an
/// agent's every API call does not cost a grain call. Staleness: a closure or reopening made through this gateway is
/// seen at once (the endpoints call <see cref="Forget"/>); one made through another gateway within <see cref="Lifetime"/>,
/// so a closed tenant's token may still be served by another gateway for that long.
/// </summary>
public sealed class TenantStandings(IClusterClient grains, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    /// <summary>Beyond this many remembered tenants, expired entries are dropped, so the map cannot grow without bound.</summary>
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, (Task<TenantStanding> Standing, DateTimeOffset Until)> known = new(StringComparer.Ordinal);

    /// <summary>
    /// The tenant's standing. Callers asking at once share one grain call: every open socket checks its tenant
    /// (see <c>ChatConnection.Watchdog</c>), and thousands of them must not all ask when an entry expires.
    /// </summary>
    public async ValueTask<TenantStanding> Get(string tenantId)
    {
        var now = time.GetUtcNow();
        if (known.TryGetValue(tenantId, out var entry) && entry.Until > now && !entry.Standing.IsFaulted && !entry.Standing.IsCanceled)
            return await entry.Standing;
        if (known.Count > PruneAbove)
        {
            foreach (var (id, old) in known)
                if (old.Until <= now) known.TryRemove(id, out _);
        }
        var asked = known.AddOrUpdate(tenantId,
            _ => (Ask(tenantId), now + Lifetime),
            (_, old) => old.Until > now && !old.Standing.IsFaulted && !old.Standing.IsCanceled ? old : (Ask(tenantId), now + Lifetime));
        return await asked.Standing;
    }

    private Task<TenantStanding> Ask(string tenantId) => grains.GetGrain<ITenantGrain>(tenantId).GetStanding();

    /// <summary>The tenant was just closed or reopened here: ask its grain again on the next call.</summary>
    public void Forget(string tenantId) => known.TryRemove(tenantId, out _);
}
