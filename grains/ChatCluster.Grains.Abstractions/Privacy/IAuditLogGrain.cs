namespace ChatCluster.Privacy;

/// <summary>
/// The append-only audit log of one tenant and one UTC day (R7), keyed by <see cref="DayKeys.For(string, DateTimeOffset)"/>.
/// Entries name subjects only by pseudonymous id (<c>visitor:v_…</c>, <c>conversation:c_…</c>), never by
/// personal data. The entries are stored one row each, append-only, with no per-day cap (docs/privacy.md section 7).
/// </summary>
public interface IAuditLogGrain : IGrainWithStringKey
{
    /// <summary>Appends <paramref name="entry"/>; returns once it is durable.</summary>
    Task Append(AuditEntry entry);

    Task<IReadOnlyList<AuditEntry>> List();

    /// <summary>Kept for callers of the per-day log; account closure (R3) deletes the tenant's whole log in one step.</summary>
    Task Purge();
}

[GenerateSerializer]
public enum AuditAction
{
    RetentionPolicyChanged = 0,
    HoldPlaced = 1,
    HoldLifted = 2,
    ConversationExpired = 3,
    VisitorExpired = 4,
    ConversationErased = 5,
    VisitorErased = 6,
    ErasureRefused = 7,
    TranscriptRead = 8,
    SubjectExported = 9,
    SubjectRectified = 10,
    ProcessingRestrictionChanged = 11,
    TenantClosed = 12,
    TenantReopened = 13,

    /// <summary>An agent opened a visitor's details (name, email, coarse IP, page, browser) in the console.</summary>
    VisitorDetailsViewed = 16, // numbered apart so the privacy engine's own new actions cannot collide with it

    /// <summary>An admin changed the tenant's AI settings (A2): the detail names the flags that changed, old and new value.</summary>
    AiSettingsChanged = 17,

    /// <summary>The operator rebuilt the tenant's email index (after a key change): the detail gives the counts.</summary>
    EmailIndexRebuilt = 18,

    // Integrations (I2-I4), numbered from 40 so other new actions cannot collide with them.

    /// <summary>An admin made a tenant API key: the detail names its id and scopes, never its secret.</summary>
    ApiKeyCreated = 40,
    ApiKeyRevoked = 41,

    /// <summary>A call of the REST API with an API key: the detail names the key and the route (no query, no body).</summary>
    ApiKeyUsed = 42,

    WebhookRegistered = 43,
    WebhookChanged = 44,
    WebhookDeleted = 45,

    /// <summary>The tenant's identity-verification secret was rotated or its requirement changed (I3).</summary>
    IdentitySettingsChanged = 46,
}

/// <param name="Actor"><c>agent:{agentId}</c> for a team member, <c>system:retention</c> for the reminders.</param>
/// <param name="Subject"><c>tenant</c>, <c>visitor:{id}</c> or <c>conversation:{id}</c>.</param>
/// <param name="Detail">Non-personal detail (a period, a count); never names, emails, addresses or text.</param>
[GenerateSerializer, Immutable]
public sealed record AuditEntry(DateTimeOffset At, string Actor, AuditAction Action, string Subject, string? Detail = null)
{
    public const string RetentionActor = "system:retention";

    public static string Agent(string agentId) => "agent:" + agentId;
    public static string VisitorSubject(string visitorId) => "visitor:" + visitorId;
    public static string ConversationSubject(string conversationId) => "conversation:" + conversationId;
    public const string TenantSubject = "tenant";
}
