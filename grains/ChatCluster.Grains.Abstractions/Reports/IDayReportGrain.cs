using Orleans.Concurrency;

namespace ChatCluster.Reports;

/// <summary>
/// The report side of a tenant-day's anonymised statistics (A1): the same grain as
/// <see cref="Privacy.IDailyStatsGrain"/> (same class, same key <see cref="Privacy.DayKeys.For(string, DateOnly)"/>),
/// seen through the inputs and outputs that reports need. Counts, hours, duration buckets and staff ids only:
/// nothing that leads back to a visitor, so the numbers outlive the conversations they describe (R2).
/// </summary>
public interface IDayReportGrain : IGrainWithStringKey
{
    /// <summary>An agent (staff, not a visitor) took a conversation, by claim or by replying to it.</summary>
    [OneWay]
    Task ConversationAssigned(string agentId);

    /// <summary>A conversation was closed or expired without any agent reply.</summary>
    [OneWay]
    Task ConversationMissed();

    /// <summary>A visitor rated a conversation 1–5 (issue 5 wires the rating event here). Other values are ignored.</summary>
    [OneWay]
    Task RatingGiven(int stars);

    Task<DayReport> GetReport();
}

/// <summary>
/// One UTC day of report counters. Hour arrays have 24 entries (UTC hours); histograms count durations in the
/// buckets of <see cref="DurationBuckets"/>; <see cref="Ratings"/> holds the number of 1…5-star ratings.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record DayReport(
    string Day,
    long ConversationsStarted,
    long VisitorMessages,
    long AgentMessages,
    long Missed,
    long Resolved,
    long Expired,
    long Erased,
    IReadOnlyList<long> ConversationsByHour,
    IReadOnlyList<long> MessagesByHour,
    IReadOnlyList<long> FirstResponseHistogram,
    IReadOnlyList<long> ResolutionHistogram,
    IReadOnlyList<long> Ratings,
    IReadOnlyDictionary<string, long> ConversationsByAgent)
{
    /// <summary>Conversations started by the visitor's country (coarse location, R2); <c>ZZ</c> is unknown.</summary>
    [Id(14)] public IReadOnlyDictionary<string, long> ConversationsByCountry { get; init; } = new Dictionary<string, long>();
}
