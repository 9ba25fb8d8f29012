namespace ChatCluster.Privacy;

/// <summary>
/// A tenant's data-subject requests and holds (R4, R5), keyed by tenant id. Acting for an admin who has
/// verified the request; every action is audited (R7).
/// </summary>
public interface IDataProtectionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Erases a visitor and every conversation of theirs now. Idempotent: a second call reports
    /// <see cref="ErasureReport.AlreadyErased"/>. <c>not_found</c> for an id this tenant never had;
    /// <c>conflict</c>, with nothing deleted, when any of the data is under a hold.
    /// </summary>
    Task<ErasureReport> EraseVisitor(string visitorId, string actor);

    /// <summary>
    /// Everything held about a visitor (R5 access, portability): profile, connection data, restrictions, every
    /// conversation with contact and messages. Audited by pseudonymous id only; <c>not_found</c> when nothing is held.
    /// </summary>
    Task<SubjectExport> ExportVisitor(string visitorId, string actor);

    Task<HoldReport> PlaceHold(HoldScope scope, string? subjectId, string reason, string actor);

    Task<HoldReport> LiftHold(HoldScope scope, string? subjectId, string actor);
}

[GenerateSerializer]
public enum HoldScope
{
    Tenant = 0,
    Visitor = 1,
    Conversation = 2,
}

[GenerateSerializer, Immutable]
public sealed record ErasureReport(string VisitorId, bool AlreadyErased, int ConversationsErased, DateTimeOffset At);

[GenerateSerializer, Immutable]
public sealed record HoldReport(HoldScope Scope, string? SubjectId, LegalHold? Hold, bool HoldsPersonalData);
