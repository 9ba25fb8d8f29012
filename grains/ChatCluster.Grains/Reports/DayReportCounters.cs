using ChatCluster.Reports;

namespace ChatCluster.Grains.Reports;

/// <summary>The report counters of a tenant-day, stored inside <see cref="Privacy.DailyStatsState"/>.</summary>
[GenerateSerializer]
public sealed class DayReportCounters
{
    [Id(0)] public long[] ConversationsByHour { get; set; } = new long[24];
    [Id(1)] public long[] MessagesByHour { get; set; } = new long[24];
    [Id(2)] public long[] FirstResponseHistogram { get; set; } = new long[DurationBuckets.Count];
    [Id(3)] public long[] ResolutionHistogram { get; set; } = new long[DurationBuckets.Count];
    [Id(4)] public long[] Ratings { get; set; } = new long[5];
    [Id(5)] public Dictionary<string, long> ConversationsByAgent { get; set; } = new(StringComparer.Ordinal);
    [Id(6)] public long Missed { get; set; }

    public static void Add(long[] histogram, TimeSpan duration) => histogram[DurationBuckets.IndexOf(Math.Max(0, duration.TotalSeconds))]++;
}
