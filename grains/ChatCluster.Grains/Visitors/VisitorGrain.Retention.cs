using ChatCluster.Conversations;
using ChatCluster.Grains.Privacy;
using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Grains.Visitors;

/// <summary>
/// How a visitor's personal data dies (R1, R4, R5, W4): name, email, IP address, user agent, page URL and the
/// token hash all live in this grain's state, and expiry clears that state, which deletes the storage row.
/// The deadline is <c>last seen + the tenant's period</c>, but a visitor stays while any of its conversations
/// still holds data, so an erasure request can always reach every conversation through the visitor.
/// </summary>
public sealed partial class VisitorGrain
{
    private RetainedSubject RetainedAs => new(RetainedKind.Visitor, VisitorId);

    private DateTimeOffset OwnDeadline => state.State.Retention.DeadlineAfter(state.State.LastSeenAt);

    public Task<RetentionStatus> GetRetention() => Task.FromResult(state.State.Registered
        ? new RetentionStatus(true, state.State.LastSeenAt, OwnDeadline, state.State.Retention.Hold, state.State.Retention.UnderTenantHold)
        : RetentionStatus.Nothing(state.State.ErasedAt));

    public async Task<RetentionStatus> ApplyRules(RetentionRules rules)
    {
        if (!state.State.Registered) return await GetRetention();
        if (state.State.Retention.Adopt(rules)) await state.WriteStateAsync();
        if (await EnforceRetention() is { } deadline) await retention.Schedule(this, deadline);
        return await GetRetention();
    }

    public async Task<RetentionStatus> PlaceHold(LegalHold hold)
    {
        EnsureRegistered();
        state.State.Retention.Hold = hold;
        await state.WriteStateAsync();
        await HoldConversations(true);
        return await GetRetention();
    }

    public async Task<RetentionStatus> LiftHold(RetentionRules rules)
    {
        EnsureRegistered();
        state.State.Retention.Hold = null;
        state.State.Retention.Adopt(rules);
        await state.WriteStateAsync();
        // The conversations first: overdue ones go now, so the visitor's own check below sees them gone.
        await HoldConversations(false, rules);
        if (await EnforceRetention() is { } deadline) await retention.Schedule(this, deadline);
        return await GetRetention();
    }

    /// <summary>A hold on the person keeps every conversation of theirs (R4); each conversation keeps a copy of the flag.</summary>
    private async Task HoldConversations(bool held, RetentionRules? rules = null)
    {
        rules ??= await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetRetentionRules();
        foreach (var id in state.State.ConversationIds)
            await GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, id)).SetVisitorHold(held, rules);
    }

    public async Task<bool> Erase(string actor)
    {
        if (!state.State.Registered) return false;
        if (state.State.Retention.IsHeld) throw ChatRuleException.Conflict($"Visitor '{VisitorId}' is under a legal hold; nothing was erased.");
        var now = time.GetUtcNow();
        // Unindexed first: a crash in between leaves a registered visitor that the resumed erasure finds again.
        await Reindex(state.State.Email, null);
        state.State = new VisitorState { ErasedAt = now };
        await state.WriteStateAsync();
        await Forget();
        await GrainFactory.Record(TenantId, new AuditEntry(now, actor, AuditAction.VisitorErased, AuditEntry.VisitorSubject(VisitorId)));
        return true;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != RetentionClock.ReminderName) return;
        if (!state.State.Registered)
        {
            await RetentionClock.Cancel(this);
            return;
        }
        var rules = await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetRetentionRules();
        if (state.State.Retention.Adopt(rules)) await state.WriteStateAsync();
        if (await EnforceRetention() is { } deadline) await retention.Reschedule(this, deadline);
    }

    private async Task StartRetention()
    {
        _ = GrainFactory.GetGrain<IRetentionRegistryGrain>(TenantId).Add(RetainedAs);
        await retention.Schedule(this, OwnDeadline);
    }

    /// <summary>Deletes the visitor when due and not held; otherwise returns the deadline to check against next.</summary>
    private async Task<DateTimeOffset?> EnforceRetention()
    {
        if (!state.State.Registered) return null;
        var deadline = OwnDeadline;
        if (retention.IsDue(deadline))
        {
            var conversations = await ConversationsDeadline();
            if (conversations > deadline) deadline = conversations;
        }
        if (state.State.Retention.IsHeld || !retention.IsDue(deadline)) return deadline;

        var now = retention.Now;
        var email = state.State.Email;
        await state.ClearStateAsync();
        await Reindex(email, null);
        await Forget();
        await GrainFactory.Record(TenantId, new AuditEntry(now, AuditEntry.RetentionActor, AuditAction.VisitorExpired, AuditEntry.VisitorSubject(VisitorId)));
        return null;
    }

    /// <summary>The latest deadline among this visitor's conversations that still hold data; a held one never ends.</summary>
    private async Task<DateTimeOffset> ConversationsDeadline()
    {
        var statuses = await Task.WhenAll(state.State.ConversationIds.Select(id =>
            GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, id)).GetRetention()));
        return statuses.Where(s => s.HoldsPersonalData)
            .Select(s => s.IsHeld ? DateTimeOffset.MaxValue : s.Deadline ?? DateTimeOffset.MinValue)
            .DefaultIfEmpty(DateTimeOffset.MinValue)
            .Max();
    }

    private async Task Forget()
    {
        await RetentionClock.Cancel(this);
        _ = GrainFactory.GetGrain<IRetentionRegistryGrain>(TenantId).Remove(RetainedAs);
    }
}
