namespace ChatCluster.Grains.Privacy;

/// <summary>
/// Section <c>ChatCluster:SelfService</c>: the limits that keep the R5 self-service path from being a way to guess
/// codes or to flood someone's mailbox. The defaults are the documented ones (docs/privacy.md §6).
/// </summary>
public sealed class SelfServiceOptions
{
    public const string Section = "ChatCluster:SelfService";

    /// <summary>How long a mailed code can be confirmed.</summary>
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Wrong guesses a code allows before it is void; each guess has a one in a million chance.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>How many codes one address of one tenant may ask for within <see cref="RateWindow"/>.</summary>
    public int MaxCodeRequests { get; set; } = 3;

    public TimeSpan RateWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long the token a confirmed code buys may export or erase.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    public IEnumerable<string> Problems()
    {
        if (!Within(CodeLifetime, TimeSpan.FromMinutes(1), TimeSpan.FromHours(24)))
            yield return $"{Section}:CodeLifetime is {CodeLifetime}; give a time between 00:01:00 and 1.00:00:00 (a code must outlive the mail's way to the inbox, and not much more).";
        if (MaxAttempts is < 1 or > 10)
            yield return $"{Section}:MaxAttempts is {MaxAttempts}; give 1 to 10 (every wrong guess is a chance to hit a six-digit code).";
        if (MaxCodeRequests is < 1 or > 20)
            yield return $"{Section}:MaxCodeRequests is {MaxCodeRequests}; give 1 to 20 (each request mails someone's inbox).";
        // The window is cleaned up by a reminder, and Orleans reminders tick at most once a minute in production.
        if (!Within(RateWindow, TimeSpan.FromMinutes(1), TimeSpan.FromHours(24)))
            yield return $"{Section}:RateWindow is {RateWindow}; give a time between 00:01:00 and 1.00:00:00.";
        if (!Within(TokenLifetime, TimeSpan.FromMinutes(1), TimeSpan.FromHours(24)))
            yield return $"{Section}:TokenLifetime is {TokenLifetime}; give a time between 00:01:00 and 1.00:00:00.";
    }

    /// <summary>"15 minutes", "2 hours": for the code mail and the rate-limit message a person reads.</summary>
    public static string Describe(TimeSpan span) => span switch
    {
        { Ticks: var t } when t % TimeSpan.TicksPerHour == 0 => Plural((long)span.TotalHours, "hour"),
        { Ticks: var t } when t % TimeSpan.TicksPerMinute == 0 => Plural((long)span.TotalMinutes, "minute"),
        _ => Plural((long)Math.Ceiling(span.TotalSeconds), "second"),
    };

    private static string Plural(long count, string unit) => count == 1 ? $"1 {unit}" : $"{count} {unit}s";

    private static bool Within(TimeSpan value, TimeSpan min, TimeSpan max) => value >= min && value <= max;
}
