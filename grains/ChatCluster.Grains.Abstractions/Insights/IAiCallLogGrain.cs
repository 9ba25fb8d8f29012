namespace ChatCluster.Insights;

/// <summary>
/// One tenant-day of AI calls (A2), keyed like the audit log (<see cref="Privacy.DayKeys"/>). Each entry says who
/// asked for what, from which provider, how big the request was and how much was redacted — never the content.
/// Append-only.
/// </summary>
public interface IAiCallLogGrain : IGrainWithStringKey
{
    Task Append(AiCallRecord record);

    Task<IReadOnlyList<AiCallRecord>> List();

    /// <summary>Deletes the day's records; only account closure (R3) calls it, when the whole tenant goes.</summary>
    Task Purge();
}

/// <summary>
/// <see cref="Subject"/> is a pseudonymous id (<c>conversation:c_…</c>) or <c>statistics</c>; <see cref="RequestChars"/> counts
/// the characters that were (or would have been) sent; <see cref="Redactions"/> counts replaced items per kind
/// (<c>name</c>, <c>email</c>, <c>phone</c>, <c>ip</c>, <c>card</c>, <c>number</c>, <c>address</c>).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AiCallRecord(
    DateTimeOffset At,
    string Actor,
    string Feature,
    string Subject,
    string Provider,
    string? Model,
    bool Remote,
    int RequestChars,
    IReadOnlyDictionary<string, int> Redactions,
    string Outcome,
    long DurationMs,
    bool TrainingOptOut);

/// <summary>Outcomes of an AI call, as recorded and as answered to the caller.</summary>
public static class AiOutcomes
{
    public const string Ok = "ok";
    public const string Disabled = "disabled";
    public const string Restricted = "restricted";
    public const string Timeout = "timeout";
    public const string Failed = "unavailable";
    public const string InvalidAnswer = "invalid_answer";
}
