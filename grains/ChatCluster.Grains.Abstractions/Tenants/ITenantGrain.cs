using ChatCluster.Privacy;
using Orleans.Concurrency;

namespace ChatCluster.Tenants;

/// <summary>An organisation using ChatCluster (T1). Keyed by tenant id.</summary>
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Creates the tenant with its first owner; fails with <c>conflict</c> if it exists.</summary>
    Task<TenantInfo> Create(NewTenant tenant);

    /// <summary>
    /// The tenant's settings, or null when no such tenant was created. Reads interleave (here and below), so a flood
    /// of visitor hellos never queues an agent's login or hello behind it (issue 15).
    /// </summary>
    [AlwaysInterleave]
    Task<TenantInfo?> GetInfo();

    /// <summary>Issues a new public site key; the old one stops working at once.</summary>
    Task<TenantInfo> RotateSiteKey();

    /// <summary>Replaces the list of origins the widget may connect from (W1).</summary>
    Task<TenantInfo> SetAllowedOrigins(IReadOnlyList<string> origins);

    /// <summary>Adds a team member; the password arrives already hashed (bcrypt, cost 12; T2).</summary>
    Task<AgentInfo> AddAgent(NewAgent agent);

    Task<IReadOnlyList<AgentInfo>> ListAgents();

    [AlwaysInterleave]
    Task<AgentInfo?> GetAgent(string agentId);

    /// <summary>Looks an agent up by login email, for password verification in the gateway.</summary>
    [AlwaysInterleave]
    Task<AgentCredentials?> FindCredentials(string email);

    /// <summary>The password hash and session stamp of one agent, for re-authentication (T2); null for an unknown agent.</summary>
    [AlwaysInterleave]
    Task<AgentCredentials?> GetCredentials(string agentId);

    /// <summary>
    /// Changes a member's role (T2) and ends their sessions. Only an owner grants or takes away admin and owner;
    /// the last owner keeps the role.
    /// </summary>
    Task<AgentInfo> ChangeRole(string actorId, string agentId, AgentRole role);

    /// <summary>Removes a member (T2): their sessions end and their second factor is deleted. The last owner stays.</summary>
    Task RemoveAgent(string actorId, string agentId);

    /// <summary>Replaces a member's password (already hashed) and ends their sessions; returns the new session stamp.</summary>
    Task<SessionStamp> SetPassword(string agentId, string passwordHash);

    /// <summary>Ends every session of a member (their second factor changed); returns the new session stamp.</summary>
    Task<SessionStamp> RenewSessionStamp(string agentId);

    /// <summary>
    /// What the gateway checks on every request and socket (T2, R3): the standing, the tenant's generation (new on
    /// every creation, so a reused id refuses the old tenant's tokens), whether a second factor is required, and each
    /// member's session stamp. Interleaves, like <see cref="GetStanding"/>.
    /// </summary>
    [AlwaysInterleave]
    Task<TenantAccess> GetAccess();

    /// <summary>
    /// The retention policy in force and any tenant-wide hold (R1, R4); the default policy for a tenant that
    /// never chose one. Interleaves, so data holders can ask while the tenant is busy.
    /// </summary>
    [AlwaysInterleave]
    Task<RetentionRules> GetRetentionRules();

    /// <summary>Sets the retention policy (validated against the silo's bounds) and re-applies it to existing data.</summary>
    Task<RetentionRules> SetRetentionPolicy(RetentionPolicy policy, string actor);

    /// <summary>Places a hold on all of the tenant's data (R4).</summary>
    Task<RetentionRules> PlaceHold(string reason, string actor);

    /// <summary>Lifts the tenant-wide hold; overdue data is then deleted at once.</summary>
    Task<RetentionRules> LiftHold(string actor);

    /// <summary>The tenant's login rules (T2): whether every team member must use a second factor.</summary>
    [AlwaysInterleave]
    Task<TenantSecurity> GetSecurity();

    Task<TenantSecurity> SetSecurity(TenantSecurity security);

    /// <summary>How transcripts are mailed (W5, issue 15): whether the visitor must first confirm the address. Interleaves.</summary>
    [AlwaysInterleave]
    Task<TranscriptSettings> GetTranscriptSettings();

    Task<TranscriptSettings> SetTranscriptSettings(TranscriptSettings settings);

    /// <summary>Closes the account (R3): disabled at once, purged after the grace period unless reopened or held.</summary>
    Task<TenantClosure> Close(string actor);

    /// <summary>Cancels a closure before its deadline; <c>conflict</c> once the purge has begun.</summary>
    Task<TenantInfo> Reopen(string actor);

    /// <summary>
    /// A hold was lifted: a closed account past its purge date purges now what is no longer held (R3, R4), instead of
    /// at the next <c>closure-check</c>. Does nothing for an open account or one still within its grace period.
    /// </summary>
    [OneWay]
    Task ResumePurge();

    /// <summary>The record a purged account leaves (R7): dates and counts, no personal data; null until the purge has finished.</summary>
    [AlwaysInterleave]
    Task<ClosureRecord?> GetClosureRecord();

    /// <summary>The pending closure, or null for an open (or unknown) tenant.</summary>
    [AlwaysInterleave]
    Task<TenantClosure?> GetClosure();

    /// <summary>
    /// Open, closed (R3, still within the grace period) or unknown (never created, or purged): what the gateway
    /// checks before serving an agent's token. Interleaves, so it answers even while a purge runs.
    /// </summary>
    [AlwaysInterleave]
    Task<TenantStanding> GetStanding();
}

public enum TenantStanding
{
    /// <summary>No such tenant: never created, or purged after its closure.</summary>
    Unknown = 0,
    Open = 1,
    Closed = 2,
}

/// <param name="Held">A legal hold delays (part of) the purge: a tenant-wide hold, or held subjects kept by a purge that ran.</param>
/// <param name="HeldSubjects">
/// What a purge that ran kept because it is held, by pseudonymous id (<c>visitor:v_…</c>, <c>conversation:c_…</c>);
/// empty before the purge date. Lifting their holds finishes the purge at once.
/// </param>
/// <param name="PurgeStartedAt">When the purge began; everything not held is deleted from then on.</param>
[GenerateSerializer, Immutable]
public sealed record TenantClosure(DateTimeOffset ClosedAt, DateTimeOffset PurgeAt, bool Held,
    IReadOnlyList<string>? HeldSubjects = null, DateTimeOffset? PurgeStartedAt = null);

/// <summary>Maps a public site key to its tenant, so a widget hello needs only the key.</summary>
public interface ISiteKeyGrain : IGrainWithStringKey
{
    Task<string?> GetTenantId();

    Task Bind(string tenantId);

    Task Unbind();
}

[GenerateSerializer, Immutable]
public sealed record NewTenant(string Name, IReadOnlyList<string> AllowedOrigins, NewAgent Owner);

[GenerateSerializer, Immutable]
public sealed record NewAgent(string Email, string DisplayName, AgentRole Role, string PasswordHash);

[GenerateSerializer, Immutable]
public sealed record TenantInfo(
    string TenantId,
    string Name,
    string SiteKey,
    IReadOnlyList<string> AllowedOrigins,
    DateTimeOffset CreatedAt);

[GenerateSerializer, Immutable]
public sealed record AgentInfo(string AgentId, string Email, string DisplayName, AgentRole Role, DateTimeOffset CreatedAt);

[GenerateSerializer, Immutable]
public sealed record TenantSecurity(bool RequireMfa);

/// <param name="ConfirmEmail">
/// A visitor's transcript address gets a confirmation code first; the transcript is mailed only once the visitor has
/// entered it in the chat, so the address's owner asked for it (issue 15).
/// </param>
[GenerateSerializer, Immutable]
public sealed record TranscriptSettings(bool ConfirmEmail);

[GenerateSerializer, Immutable]
public sealed record AgentCredentials(AgentInfo Agent, string PasswordHash, SessionStamp Stamp);

/// <summary>What an agent's token must carry to stay valid: the tenant's generation and the agent's security stamp (T2).</summary>
[GenerateSerializer, Immutable]
public sealed record SessionStamp(string TenantGeneration, string AgentStamp);

/// <param name="AgentStamps">Each member's current security stamp by agent id; a removed member is absent.</param>
[GenerateSerializer, Immutable]
public sealed record TenantAccess(TenantStanding Standing, string Generation, bool RequireMfa, IReadOnlyDictionary<string, string> AgentStamps);
