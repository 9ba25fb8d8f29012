using ChatCluster.Privacy;

namespace ChatCluster.Grains.Privacy;

/// <summary>Section <c>ChatCluster:Retention</c>: the bounds of tenants' retention policies and how often holders check.</summary>
public sealed class RetentionOptions
{
    public const string Section = "ChatCluster:Retention";

    /// <summary>The shortest policy a tenant may choose. One day in production; tests and demos lower it to seconds.</summary>
    public TimeSpan MinimumPeriod { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The longest policy a tenant may choose (ten years).</summary>
    public TimeSpan MaximumPeriod { get; set; } = TimeSpan.FromDays(3650);

    /// <summary>
    /// The period of each holder's <c>retention-check</c> reminder: the longest a holder goes without comparing
    /// its deadline with the clock. Near the deadline the next check is moved onto the deadline itself.
    /// </summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long a closed tenant's data stays before it is purged (R3); reopening within it cancels the purge.</summary>
    public TimeSpan ClosureGrace { get; set; } = TimeSpan.FromDays(30);

    public IEnumerable<string> Problems()
    {
        if (ClosureGrace <= TimeSpan.Zero || ClosureGrace > TimeSpan.FromDays(90)) yield return $"{Section}:ClosureGrace must be positive and at most 90 days.";
        if (MinimumPeriod <= TimeSpan.Zero) yield return $"{Section}:MinimumPeriod must be positive.";
        if (MaximumPeriod < MinimumPeriod) yield return $"{Section}:MaximumPeriod must not be below MinimumPeriod.";
        if (RetentionPolicy.DefaultPeriod < MinimumPeriod || RetentionPolicy.DefaultPeriod > MaximumPeriod)
            yield return $"{Section}: the default policy (365 days) must lie between MinimumPeriod and MaximumPeriod.";
        if (CheckInterval < TimeSpan.FromMilliseconds(100) || CheckInterval > TimeSpan.FromDays(7))
            yield return $"{Section}:CheckInterval must be between 100 ms and 7 days.";
    }

    /// <summary>The policy if it lies within the bounds; otherwise a clear <c>invalid_request</c>.</summary>
    public RetentionPolicy Validate(RetentionPolicy policy)
    {
        if (policy.Period < MinimumPeriod || policy.Period > MaximumPeriod)
            throw ChatRuleException.Invalid(
                $"A retention period is between {Describe(MinimumPeriod)} and {Describe(MaximumPeriod)}; {Describe(policy.Period)} is outside.");
        return policy;
    }

    public static string Describe(TimeSpan span) =>
        span.TotalDays >= 1 && span.Ticks % TimeSpan.TicksPerDay == 0 ? $"{(long)span.TotalDays} days" : span.ToString("c");
}
