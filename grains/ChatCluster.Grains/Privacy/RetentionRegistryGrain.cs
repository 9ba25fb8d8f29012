using ChatCluster.Conversations;
using ChatCluster.Privacy;
using ChatCluster.Visitors;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// The tenant's list of data holders, for fan-out of rule changes. One grain per tenant holds ids only
/// (pseudonymous); a tenant with millions of live holders wants this sharded by id hash (noted in docs/privacy.md).
/// </summary>
public sealed class RetentionRegistryGrain(
    [PersistentState("retention-registry", StorageNames.Chat)] IPersistentState<RetentionRegistryState> state,
    ILogger<RetentionRegistryGrain> logger) : Grain, IRetentionRegistryGrain
{
    private const int FanOutBatch = 100;

    private string TenantId => this.GetPrimaryKeyString();

    public async Task Add(RetainedSubject subject)
    {
        if (Set(subject.Kind).Add(subject.LocalId)) await state.WriteStateAsync();
    }

    public async Task Remove(RetainedSubject subject)
    {
        if (Set(subject.Kind).Remove(subject.LocalId)) await state.WriteStateAsync();
    }

    public async Task Tombstone(RetainedSubject holder)
    {
        var kind = holder.Kind == RetainedKind.Visitor ? RetainedKind.VisitorTombstone : RetainedKind.ConversationTombstone;
        var removed = Set(holder.Kind).Remove(holder.LocalId);
        if (Set(kind).Add(holder.LocalId) | removed) await state.WriteStateAsync();
    }

    public async Task ApplyRules(RetentionRules rules)
    {
        List<RetainedSubject> subjects =
        [
            .. state.State.Conversations.Select(id => new RetainedSubject(RetainedKind.Conversation, id)),
            .. state.State.Visitors.Select(id => new RetainedSubject(RetainedKind.Visitor, id)),
        ];
        var gone = new List<RetainedSubject>();
        foreach (var batch in subjects.Chunk(FanOutBatch))
        {
            var results = await Task.WhenAll(batch.Select(async subject =>
            {
                try
                {
                    return (subject, status: await Holder(subject).ApplyRules(rules));
                }
                catch (Exception ex)
                {
                    // The holder's own next check re-reads the rules; one failure must not stop the others.
                    logger.LogWarning(ex, "Applying retention rules to {Kind} {Id} of {Tenant} failed", subject.Kind, subject.LocalId, TenantId);
                    return (subject, status: (RetentionStatus?)null);
                }
            }));
            gone.AddRange(results.Where(r => r.status is { HoldsPersonalData: false }).Select(r => r.subject));
        }
        var removed = gone.Count(s => Set(s.Kind).Remove(s.LocalId));
        if (removed > 0) await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<RetainedSubject>> List() => Task.FromResult<IReadOnlyList<RetainedSubject>>(
    [
        .. state.State.Conversations.Select(id => new RetainedSubject(RetainedKind.Conversation, id)),
        .. state.State.Visitors.Select(id => new RetainedSubject(RetainedKind.Visitor, id)),
        .. state.State.SelfServiceRecords.Select(id => new RetainedSubject(RetainedKind.SelfServiceRecord, id)),
        .. state.State.VisitorTombstones.Select(id => new RetainedSubject(RetainedKind.VisitorTombstone, id)),
        .. state.State.ConversationTombstones.Select(id => new RetainedSubject(RetainedKind.ConversationTombstone, id)),
        .. state.State.VerifiedUsers.Select(id => new RetainedSubject(RetainedKind.VerifiedUser, id)),
    ]);

    public Task Clear() => state.ClearStateAsync();

    public Task<int> Count() => Task.FromResult(state.State.Conversations.Count + state.State.Visitors.Count);

    private IRetainedData Holder(RetainedSubject subject) => subject.Kind == RetainedKind.Conversation
        ? GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, subject.LocalId))
        : GrainFactory.GetGrain<IVisitorGrain>(GrainKeys.Scoped(TenantId, subject.LocalId));

    private HashSet<string> Set(RetainedKind kind) => kind switch
    {
        RetainedKind.Conversation => state.State.Conversations,
        RetainedKind.Visitor => state.State.Visitors,
        RetainedKind.VisitorTombstone => state.State.VisitorTombstones,
        RetainedKind.ConversationTombstone => state.State.ConversationTombstones,
        RetainedKind.VerifiedUser => state.State.VerifiedUsers,
        _ => state.State.SelfServiceRecords,
    };
}

[GenerateSerializer]
public sealed class RetentionRegistryState
{
    [Id(0)] public HashSet<string> Conversations { get; set; } = new(StringComparer.Ordinal);
    [Id(1)] public HashSet<string> Visitors { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Local ids (<c>e_…</c>) of the tenant's stored self-service records; retention rules do not apply to them.</summary>
    [Id(2)] public HashSet<string> SelfServiceRecords { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Tombstones, so account closure (R3) leaves no row keyed by the tenant: erased visitors, redacted emails of expired conversations.</summary>
    [Id(3)] public HashSet<string> VisitorTombstones { get; set; } = new(StringComparer.Ordinal);
    [Id(4)] public HashSet<string> ConversationTombstones { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Local ids (<c>u_…</c>) of the tenant's verified-user records (I3), so account closure (R3) deletes them.</summary>
    [Id(5)] public HashSet<string> VerifiedUsers { get; set; } = new(StringComparer.Ordinal);
}
