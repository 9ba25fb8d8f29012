using Orleans.Concurrency;

namespace ChatCluster.Privacy;

/// <summary>
/// Which conversations and visitors of a tenant still hold personal data (and which self-service records exist). Keyed by tenant id. It exists so a
/// policy change or a tenant hold reaches existing data at once; each holder's own reminder re-reads the
/// tenant's rules too, so a lost registration only delays a change to the holder's next check.
/// </summary>
public interface IRetentionRegistryGrain : IGrainWithStringKey
{
    [OneWay]
    Task Add(RetainedSubject subject);

    [OneWay]
    Task Remove(RetainedSubject subject);

    /// <summary>Sends <paramref name="rules"/> to every registered holder, in the background.</summary>
    [OneWay]
    Task ApplyRules(RetentionRules rules);

    /// <summary>
    /// The holder's personal data is gone but a tombstone of it remains (an erased visitor's id, an expired
    /// conversation's redacted email): listed under its tombstone kind so account closure (R3) deletes it too.
    /// </summary>
    Task Tombstone(RetainedSubject holder);

    Task<int> Count();

    /// <summary>Every registered holder, for account closure (R3).</summary>
    Task<IReadOnlyList<RetainedSubject>> List();

    /// <summary>Forgets every holder and deletes the registry's row (account closure, R3).</summary>
    Task Clear();
}

[GenerateSerializer]
public enum RetainedKind
{
    Conversation = 0,
    Visitor = 1,

    /// <summary>
    /// A self-service record of an email address (keyed hash, request times, hashed code): no retention rules of its
    /// own, listed so account closure (R3) can reach records no visitor points to any more.
    /// </summary>
    SelfServiceRecord = 2,

    /// <summary>An erased visitor's tombstone (the fact that the id was erased, and when).</summary>
    VisitorTombstone = 3,

    /// <summary>An expired conversation's tombstone: the redacted email some tenants keep (R2).</summary>
    ConversationTombstone = 4,

    /// <summary>
    /// A verified user's record (I3: a hash of the site's user id pointing to its visitor): no retention rules of its
    /// own, listed so account closure (R3) deletes it.
    /// </summary>
    VerifiedUser = 5,
}

/// <summary>A holder of personal data, by kind and local id (the tenant is the registry's key).</summary>
[GenerateSerializer, Immutable]
public sealed record RetainedSubject(RetainedKind Kind, string LocalId);
