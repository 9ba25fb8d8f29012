using ChatCluster.Privacy;

namespace ChatCluster.Grains.Privacy;

/// <summary>Appends an entry to the tenant's audit log of the entry's day (R7).</summary>
public static class AuditTrail
{
    public static Task Record(this IGrainFactory grains, string tenantId, AuditEntry entry) =>
        grains.GetGrain<IAuditLogGrain>(DayKeys.For(tenantId, entry.At)).Append(entry);

    /// <summary>Counts something in the tenant's statistics of the day of <paramref name="at"/> (R2).</summary>
    public static Task Count(this IGrainFactory grains, string tenantId, DateTimeOffset at, StatsEventKind kind, TimeSpan duration = default) =>
        grains.GetGrain<IDailyStatsGrain>(DayKeys.For(tenantId, at)).Record(new StatsEvent(kind, duration, at));
}
