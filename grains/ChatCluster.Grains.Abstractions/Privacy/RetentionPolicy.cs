namespace ChatCluster.Privacy;

/// <summary>
/// How long a tenant keeps personal data after a conversation's (or visitor's) last activity (R1), and
/// whether a redacted email may remain after expiry (R2). The bounds are the silo's
/// <c>ChatCluster:Retention</c> options; the grains enforce them.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RetentionPolicy(TimeSpan Period, bool KeepRedactedEmail = false)
{
    /// <summary>"12 months" of the product, counted as 365 days so a deadline is a plain instant.</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromDays(365);

    public static RetentionPolicy Default { get; } = new(DefaultPeriod);

    public DateTimeOffset DeadlineAfter(DateTimeOffset lastActivity) =>
        DateTimeOffset.MaxValue - lastActivity < Period ? DateTimeOffset.MaxValue : lastActivity + Period;
}

/// <summary>A legal hold (R4): data under it is not deleted, by retention or by erasure, until it is lifted.</summary>
[GenerateSerializer, Immutable]
public sealed record LegalHold(string Reason, string PlacedBy, DateTimeOffset PlacedAt)
{
    public const int MaxReasonLength = 500;
}

/// <summary>What a tenant tells the grains holding its personal data: the policy in force and a tenant-wide hold.</summary>
[GenerateSerializer, Immutable]
public sealed record RetentionRules(RetentionPolicy Policy, LegalHold? TenantHold)
{
    public static RetentionRules Default { get; } = new(RetentionPolicy.Default, null);
}

/// <summary>Where one data holder (a conversation or a visitor) stands with retention.</summary>
/// <param name="HoldsPersonalData">False once the data expired or was erased (or never existed).</param>
/// <param name="Deadline">When the data is deleted unless there is new activity; null when nothing is held.</param>
/// <param name="Hold">The hold on this subject itself; a tenant-wide hold is reported by the tenant.</param>
/// <param name="ErasedAt">Set when the subject was erased on request (R5); repeated erasure is then a no-op.</param>
/// <param name="UnderVisitorHold">A conversation kept because its visitor is under a hold (R4).</param>
[GenerateSerializer, Immutable]
public sealed record RetentionStatus(
    bool HoldsPersonalData,
    DateTimeOffset? LastActivityAt,
    DateTimeOffset? Deadline,
    LegalHold? Hold,
    bool UnderTenantHold = false,
    DateTimeOffset? ErasedAt = null,
    bool UnderVisitorHold = false)
{
    public static RetentionStatus Nothing(DateTimeOffset? erasedAt = null) => new(false, null, null, null, ErasedAt: erasedAt);

    public bool IsHeld => Hold is not null || UnderTenantHold || UnderVisitorHold;
}
