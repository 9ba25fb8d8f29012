using System.Globalization;
using Orleans.Concurrency;

namespace ChatCluster.Privacy;

/// <summary>
/// Anonymised statistics of one tenant and one UTC day (R2, A1), kept indefinitely. Keyed by
/// <see cref="DayKeys.For"/>. It only ever receives counts and durations: no id, name, text or address
/// that could lead back to a person.
/// </summary>
public interface IDailyStatsGrain : IGrainWithStringKey
{
    [OneWay]
    Task Record(StatsEvent e);

    Task<DailyStats> Get();

    /// <summary>Deletes the day's counters; only account closure (R3) calls it.</summary>
    Task Purge();
}

[GenerateSerializer]
public enum StatsEventKind
{
    ConversationStarted = 0,
    VisitorMessage = 1,
    AgentMessage = 2,
    FirstResponse = 3,
    Resolved = 4,
    Expired = 5,
    Erased = 6,
    Rated = 7,
}

/// <summary>
/// Something countable happened; <see cref="Duration"/> is set for first response and resolution, <see cref="At"/>
/// (when known) places it in its UTC hour for reports, <see cref="Score"/> (1–5) is set for a rating.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record StatsEvent(StatsEventKind Kind, TimeSpan Duration = default, DateTimeOffset At = default)
{
    [Id(3)] public int Score { get; init; }

    /// <summary>For <see cref="StatsEventKind.ConversationStarted"/>: the visitor's country (coarse location, R2), if known.</summary>
    [Id(4)] public string? Country { get; init; }

    /// <summary>How many such events this one stands for: conversations send their message counts coalesced (default 1).</summary>
    [Id(5)] public int Count { get; init; } = 1;
}

/// <summary>Country codes as the statistics keep them: two upper-case letters, <see cref="Unknown"/> otherwise.</summary>
public static class CountryCodes
{
    /// <summary>CLDR's code for an unknown region.</summary>
    public const string Unknown = "ZZ";

    /// <summary>At most this many countries per day are told apart; more than the world has, so only nonsense ends in <see cref="Unknown"/>.</summary>
    public const int MaxPerDay = 300;

    public static string Normalize(string? code) =>
        code is { Length: 2 } && char.IsAsciiLetter(code[0]) && char.IsAsciiLetter(code[1]) ? code.ToUpperInvariant() : Unknown;

    /// <summary>Conversations per country over several days.</summary>
    public static Dictionary<string, long> Total(IEnumerable<IReadOnlyDictionary<string, long>> days) =>
        days.SelectMany(d => d).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(p => p.Value), StringComparer.Ordinal);
}

[GenerateSerializer, Immutable]
public sealed record DailyStats(
    string Day,
    long ConversationsStarted,
    long VisitorMessages,
    long AgentMessages,
    long FirstResponses,
    double FirstResponseSecondsTotal,
    long Resolved,
    double ResolutionSecondsTotal,
    long Expired,
    long Erased)
{
    /// <summary>Conversations rated by their visitors this day (satisfaction, A1).</summary>
    [Id(10)] public long Ratings { get; init; }

    /// <summary>Sum of the scores (1–5) of <see cref="Ratings"/>; the average is this over the count.</summary>
    [Id(11)] public long RatingScoreTotal { get; init; }

    /// <summary>Conversations started this day by the visitor's country (coarse location, R2); <c>ZZ</c> is unknown.</summary>
    [Id(12)] public IReadOnlyDictionary<string, long> ConversationsByCountry { get; init; } = new Dictionary<string, long>();
}

/// <summary>Keys of per-tenant-per-day grains: <c>{tenantId}/{yyyy-MM-dd}</c> (UTC).</summary>
public static class DayKeys
{
    public const string Format = "yyyy-MM-dd";

    public static string For(string tenantId, DateOnly day) => $"{tenantId}/{day.ToString(Format, CultureInfo.InvariantCulture)}";

    public static string For(string tenantId, DateTimeOffset at) => For(tenantId, DateOnly.FromDateTime(at.UtcDateTime));

    public static bool TryParseDay(string? text, out DateOnly day) =>
        DateOnly.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
}
