namespace ChatCluster.Security;

/// <summary>
/// One-time codes an admin hands a team member (T2), keyed by <c>{tenantId}/{agentId}</c>: an invitation (the member
/// sets their own password) or an enrolment code (with two-step login required, a password alone must not let
/// anyone enrol an authenticator of their choosing). Only a hash is stored; a code works once, before it expires,
/// and a few wrong guesses burn it.
/// </summary>
public interface IAgentSetupCodesGrain : IGrainWithStringKey
{
    /// <summary>A fresh code for <paramref name="purpose"/>, replacing any earlier one.</summary>
    Task<SetupCode> Issue(SetupPurpose purpose, TimeSpan lifetime);

    /// <summary>Uses the code up: true once when it matches and has not expired.</summary>
    Task<bool> Redeem(SetupPurpose purpose, string code);

    /// <summary>Deletes every code (the member was removed, or the account purged).</summary>
    Task Purge();
}

[GenerateSerializer]
public enum SetupPurpose
{
    Invitation = 0,
    MfaEnrolment = 1,
}

[GenerateSerializer, Immutable]
public sealed record SetupCode(string Code, DateTimeOffset ExpiresAt);
