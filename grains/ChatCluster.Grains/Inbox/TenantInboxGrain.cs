using ChatCluster.Conversations;
using ChatCluster.Inbox;
using Orleans.Streams;

namespace ChatCluster.Grains.Inbox;

/// <summary>
/// A projection of the conversations' own reports. It writes its state only when the set of live
/// conversations or their status changes, not on every message, so a busy tenant costs no write per message.
/// </summary>
public sealed class TenantInboxGrain(
    [PersistentState("inbox", StorageNames.Chat)] IPersistentState<TenantInboxState> state) : Grain, ITenantInboxGrain
{
    private IAsyncStream<ConversationSummary> stream = null!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        stream = this.GetStreamProvider(ChatStreams.Provider)
            .GetStream<ConversationSummary>(StreamId.Create(ChatStreams.InboxNamespace, this.GetPrimaryKeyString()));
        return Task.CompletedTask;
    }

    public async Task Update(ConversationSummary summary)
    {
        var live = state.State.Live;
        live.TryGetValue(summary.ConversationId, out var previous);
        // Reports are one-way and may arrive out of order: never let an older summary undo a newer one.
        if (previous is not null && (summary.LastActivityAt < previous.LastActivityAt
                                     || (summary.LastActivityAt == previous.LastActivityAt && summary.LastSeq < previous.LastSeq))) return;

        var membershipChanged = summary.Status == ConversationStatus.Closed
            ? live.Remove(summary.ConversationId)
            : previous is null || previous.Status != summary.Status || previous.AssignedAgentId != summary.AssignedAgentId;
        if (summary.Status != ConversationStatus.Closed) live[summary.ConversationId] = summary;
        if (membershipChanged) await state.WriteStateAsync();

        await stream.OnNextAsync(summary);
    }

    public Task<IReadOnlyList<ConversationSummary>> List()
    {
        IReadOnlyList<ConversationSummary> list = [.. state.State.Live.Values.OrderByDescending(s => s.LastActivityAt)];
        return Task.FromResult(list);
    }

    public Task<InboxPage> Page(int limit, InboxCursor? before = null)
    {
        limit = Math.Clamp(limit, 1, InboxLimits.MaxPage);
        var ordered = state.State.Live.Values
            .OrderByDescending(s => s.LastActivityAt).ThenBy(s => s.ConversationId, StringComparer.Ordinal)
            .Where(s => before is null || s.LastActivityAt < before.LastActivityAt
                        || (s.LastActivityAt == before.LastActivityAt && string.CompareOrdinal(s.ConversationId, before.ConversationId) > 0));
        var page = ordered.Take(limit + 1).ToList();
        var more = page.Count > limit;
        if (more) page.RemoveAt(limit);
        return Task.FromResult(new InboxPage(page, state.State.Live.Count, more));
    }

    public async Task Purge()
    {
        if (state.RecordExists) await state.ClearStateAsync();
        DeactivateOnIdle();
    }
}

[GenerateSerializer]
public sealed class TenantInboxState
{
    [Id(0)] public Dictionary<string, ConversationSummary> Live { get; set; } = [];
}
