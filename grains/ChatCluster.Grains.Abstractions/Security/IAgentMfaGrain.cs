namespace ChatCluster.Security;

/// <summary>
/// One team member's second factor (T2): a TOTP secret (RFC 6238, SHA-1, 6 digits, 30 s steps), keyed by
/// <c>{tenantId}/{agentId}</c>. The secret leaves the grain only once, in the answer to
/// <see cref="BeginEnrolment"/>; codes are accepted one step either side of now, and each step only once.
/// </summary>
public interface IAgentMfaGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates a fresh secret (replacing an unconfirmed one) and returns it with its <c>otpauth://</c> URI.
    /// Fails with <c>conflict</c> once TOTP is enabled: a secret in use is never handed out again.
    /// </summary>
    Task<TotpEnrolment> BeginEnrolment(string accountName, string issuer);

    /// <summary>Enables TOTP when <paramref name="code"/> matches the pending secret.</summary>
    Task Confirm(string code);

    Task<bool> IsEnabled();

    /// <summary>Deletes the TOTP secret and its state: two-step login turned off or reset (T2), or the account purged (R3).</summary>
    Task Purge();

    /// <summary>Checks a login code: <c>invalid_totp</c> when wrong or expired, <c>totp_reused</c> when its step was used before.</summary>
    Task Verify(string code);
}

[GenerateSerializer, Immutable]
public sealed record TotpEnrolment(string Secret, string OtpAuthUri);

public static class TotpRules
{
    public const int Digits = 6;
    public const int StepSeconds = 30;

    /// <summary>Steps accepted before and after the current one, for clock drift.</summary>
    public const int Window = 1;
}
