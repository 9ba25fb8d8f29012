using System.Collections.Concurrent;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Sockets;
using ChatCluster.Inbox;

namespace ChatCluster.Gateway.Abuse;

/// <summary>
/// Keeps an anonymous flood from growing state without bound (S2, S3; issue 15): the socket asks here before it
/// registers a new visitor or starts a conversation, and a refusal is a <c>rate_limited</c> error with
/// <c>retryAfterMs</c>. Rates are token buckets in this gateway's memory, per client address (IPv6: /64), per
/// visitor and per tenant; the cap on a tenant's live conversations reads the tenant's inbox, at most once a second
/// per tenant, so the check costs the flooded grains nothing.
/// </summary>
public sealed class VisitorQuotas(AbuseOptions options, IClusterClient grains, TimeProvider time)
{
    public const int MaxTracked = 100_000;

    private static readonly TimeSpan LiveCountLifetime = TimeSpan.FromSeconds(1);

    /// <summary>How long a start waits when the tenant is at its cap of live conversations: about a chat's length.</summary>
    private static readonly TimeSpan FullTenantRetry = TimeSpan.FromSeconds(30);

    private readonly BoundedTable<TokenBucket> newVisitors = new(MaxTracked);
    private readonly BoundedTable<TokenBucket> starts = new(MaxTracked);
    private readonly ConcurrentDictionary<string, (Task<int> Count, DateTimeOffset Until)> liveCounts = new(StringComparer.Ordinal);

    /// <summary>Refusals by reason since start, for <c>/metrics</c> and <c>/health</c>.</summary>
    public long Refused => Interlocked.Read(ref refused);

    private long refused;

    /// <summary>A hello without a visitor token is about to create a visitor: throws <c>rate_limited</c> when over quota.</summary>
    public void NewVisitor(string tenantId, string? address)
    {
        Take(newVisitors, "a:" + ClientAddress.Key(address), options.NewVisitorsPerMinutePerAddress, 60, "Too many new visitors from your address");
        Take(newVisitors, "t:" + tenantId, options.NewVisitorsPerMinutePerTenant, 60, "This chat is receiving too many new visitors");
    }

    /// <summary>A visitor is about to start a conversation: throws <c>rate_limited</c> when over quota.</summary>
    public async Task Start(string tenantId, string visitorId, string? address)
    {
        Take(starts, "a:" + ClientAddress.Key(address), options.ConversationsPerMinutePerAddress, 60, "Too many conversations from your address");
        Take(starts, "v:" + tenantId + "/" + visitorId, options.ConversationsPerHourPerVisitor, 3600, "You started too many conversations");
        if (await LiveConversations(tenantId) >= options.MaxOpenConversationsPerTenant)
        {
            Interlocked.Increment(ref refused);
            throw ChatRuleException.RateLimited("The team has too many open conversations right now; try again later.", FullTenantRetry);
        }
    }

    /// <summary>Live conversations of the tenant, as its inbox said within the last second.</summary>
    private async Task<int> LiveConversations(string tenantId)
    {
        var now = time.GetUtcNow();
        if (liveCounts.Count > MaxTracked) liveCounts.Clear();
        var entry = liveCounts.AddOrUpdate(tenantId,
            _ => (Count(tenantId), now + LiveCountLifetime),
            (_, old) => old.Until > now && !old.Count.IsFaulted ? old : (Count(tenantId), now + LiveCountLifetime));
        return await entry.Count;
    }

    private async Task<int> Count(string tenantId) => (await grains.GetGrain<ITenantInboxGrain>(tenantId).Page(1)).Total;

    private void Take(BoundedTable<TokenBucket> table, string key, int perPeriod, int periodSeconds, string reason)
    {
        var now = time.GetUtcNow();
        table.MakeRoom(now, bucket => { lock (bucket) return bucket.IsFull; });
        var bucket = table.Entries.GetOrAdd(key, _ => new TokenBucket(perPeriod / (double)periodSeconds, perPeriod, time));
        TimeSpan wait;
        lock (bucket)
        {
            if (bucket.TryTake(out wait)) return;
        }
        Interlocked.Increment(ref refused);
        if (wait < TimeSpan.FromSeconds(1)) wait = TimeSpan.FromSeconds(1);
        throw ChatRuleException.RateLimited($"{reason}; try again in {Math.Ceiling(wait.TotalSeconds):0} seconds.", wait);
    }
}
