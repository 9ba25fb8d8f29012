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

    private readonly ConcurrentDictionary<string, (TenantStanding Standing, DateTimeOffset Until)> known = new(StringComparer.Ordinal);

    public async ValueTask<TenantStanding> Get(string tenantId)
    {
        var now = time.GetUtcNow();
        if (known.TryGetValue(tenantId, out var entry) && entry.Until > now) return entry.Standing;
        var standing = await grains.GetGrain<ITenantGrain>(tenantId).GetStanding();
        if (known.Count > PruneAbove)
        {
            foreach (var (id, old) in known)
                if (old.Until <= now) known.TryRemove(id, out _);
        }
        known[tenantId] = (standing, now + Lifetime);
        return standing;
    }

    /// <summary>The tenant was just closed or reopened here: ask its grain again on the next call.</summary>
    public void Forget(string tenantId) => known.TryRemove(tenantId, out _);
}
