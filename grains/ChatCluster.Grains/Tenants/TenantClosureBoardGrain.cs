using ChatCluster.Tenants;

namespace ChatCluster.Grains.Tenants;

/// <summary>Keeps the last few minutes of closures and reopenings for the gateways' polls; see <see cref="ITenantClosureBoardGrain"/>.</summary>
public sealed class TenantClosureBoardGrain(TimeProvider time) : Grain, ITenantClosureBoardGrain
{
    private static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(5);
    private const int MaxChanges = 10_000;

    private readonly Guid epoch = Guid.NewGuid();
    private readonly List<StandingChange> changes = [];
    private long last;

    public Task Post(string tenantId, TenantStanding standing)
    {
        var now = time.GetUtcNow();
        changes.Add(new StandingChange(++last, tenantId, standing, now));
        var stale = changes.FindIndex(c => now - c.At <= KeepFor);
        if (stale > 0) changes.RemoveRange(0, stale);
        if (changes.Count > MaxChanges) changes.RemoveRange(0, changes.Count - MaxChanges);
        return Task.CompletedTask;
    }

    public Task<ClosureNews> Since(Guid epoch, long after)
    {
        IReadOnlyList<StandingChange> news = epoch == this.epoch ? [.. changes.Where(c => c.Seq > after)] : [.. changes];
        return Task.FromResult(new ClosureNews(this.epoch, last, news));
    }
}
