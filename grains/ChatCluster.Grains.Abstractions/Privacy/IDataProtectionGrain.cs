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

    /// <summary>
    /// Files the tenant's visitors who gave an email under that address's record again, hashed with the silos'
    /// current <c>EmailIndexKey</c> (after a key change; docs/privacy.md section 6). One page of
    /// <see cref="EmailIndexRebuild.PageSize"/> visitors, in id order after <paramref name="after"/>, per call, so a
    /// large tenant never holds one call past Orleans' response timeout, and visitors arriving or leaving meanwhile
    /// do not shift the pages (new ones index themselves). Idempotent. <c>not_found</c> for an unknown tenant.
    /// </summary>
    Task<EmailIndexRebuild> RebuildEmailIndex(string? after);

    /// <summary>The erasures begun and not yet finished (resumed by a reminder after a crash or a failed step, R5).</summary>
    Task<IReadOnlyList<string>> PendingErasures();

    /// <summary>Deletes this grain's own record and reminder; only account closure (R3) calls it.</summary>
    Task Purge();
}

/// <param name="Visitors">Visitors in this page.</param>
/// <param name="Indexed">Of those, the ones holding an email, now findable under the current key.</param>
/// <param name="Next">The <c>after</c> of the next page; null after the last.</param>
[GenerateSerializer, Immutable]
public sealed record EmailIndexRebuild(int Visitors, int Indexed, string? Next)
{
    public const int PageSize = 1000;
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
