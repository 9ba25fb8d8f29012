namespace ChatCluster.Privacy;

/// <summary>
/// The one trace a purged account leaves (R3, R7): that an account was closed and purged, when, and how much was
/// deleted. Keyed by a keyed pseudonym of the tenant id, never the id itself; it holds no personal data and no name.
/// </summary>
public interface IClosureRecordGrain : IGrainWithStringKey
{
    Task Record(ClosureRecord record);

    Task<ClosureRecord?> Get();
}

/// <param name="TenantCreatedAt">When the account was created.</param>
/// <param name="ClosedAt">When it was closed.</param>
/// <param name="PurgeStartedAt">When the purge began (the end of the grace period, or later under a tenant-wide hold).</param>
/// <param name="PurgedAt">When the last of it was deleted.</param>
/// <param name="VisitorsErased">Visitors whose data the purge erased.</param>
/// <param name="ConversationsErased">Conversations whose data the purge erased.</param>
/// <param name="HeldAtPurge">How many subjects a legal hold kept past the purge date, until it was lifted (R4).</param>
[GenerateSerializer, Immutable]
public sealed record ClosureRecord(
    DateTimeOffset TenantCreatedAt,
    DateTimeOffset ClosedAt,
    DateTimeOffset PurgeStartedAt,
    DateTimeOffset PurgedAt,
    int VisitorsErased,
    int ConversationsErased,
    int HeldAtPurge);
