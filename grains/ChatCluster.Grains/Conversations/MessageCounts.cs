using ChatCluster.Privacy;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// Message counts of one conversation not yet sent to the tenant's day statistics, by kind and UTC hour (the finest
/// grain reports use). Flushed as one <see cref="StatsEvent"/> per bucket, so the tenant-day grain sees one call per
/// conversation per flush instead of one per message (issue 13: nothing per tenant on the per-message path).
/// </summary>
public sealed class MessageCounts
{
    private readonly Dictionary<(StatsEventKind Kind, DateTimeOffset Hour), int> pending = [];

    public bool IsEmpty => pending.Count == 0;

    public void Add(StatsEventKind kind, DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        var hour = new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
        pending[(kind, hour)] = pending.GetValueOrDefault((kind, hour)) + 1;
    }

    /// <summary>The pending counts as statistics events (placed at their hour), emptying this.</summary>
    public List<StatsEvent> Take()
    {
        var events = pending.Select(p => new StatsEvent(p.Key.Kind, At: p.Key.Hour) { Count = p.Value }).ToList();
        pending.Clear();
        return events;
    }
}
