using ChatCluster.Conversations;
using ChatCluster.Grains.Privacy;
using ChatCluster.Grains.Reports;
using ChatCluster.Inbox;
using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// How a conversation's personal data dies (R1, R4, R5): the contact's name and email in the state and every
/// message in the <see cref="IConversationLog"/>. The deadline is <c>last activity + the tenant's period</c>;
/// <see cref="RetentionClock"/> drives the reminder. Statistics are counted as things happen (R2).
/// </summary>
public sealed partial class ConversationGrain
{
    private RetainedSubject RetainedAs => new(RetainedKind.Conversation, conversationId);

    private DateTimeOffset Deadline => state.State.Retention.DeadlineAfter(state.State.LastActivityAt);

    public Task<RetentionStatus> GetRetention() => Task.FromResult(RetentionNow());

    public async Task<RetentionStatus> ApplyRules(RetentionRules rules)
    {
        if (!state.State.Started) return RetentionNow();
        if (state.State.Retention.Adopt(rules)) await state.WriteStateAsync();
        if (!await EnforceRetention()) await retention.Schedule(this, Deadline);
        return RetentionNow();
    }

    public async Task<RetentionStatus> PlaceHold(LegalHold hold)
    {
        EnsureStarted();
        state.State.Retention.Hold = hold;
        await state.WriteStateAsync();
        return RetentionNow();
    }

    public async Task<RetentionStatus> LiftHold(RetentionRules rules)
    {
        EnsureStarted();
        state.State.Retention.Hold = null;
        state.State.Retention.Adopt(rules);
        await state.WriteStateAsync();
        if (!await EnforceRetention()) await retention.Schedule(this, Deadline);
        return RetentionNow();
    }

    public async Task<bool> Erase(string actor)
    {
        if (!state.State.Started)
        {
            // An expired conversation may keep a redacted email (R2); erasure takes that too.
            if (state.RecordExists) await state.ClearStateAsync();
            return false;
        }
        if (state.State.Retention.IsHeld)
            throw ChatRuleException.Conflict($"Conversation '{conversationId}' is under a legal hold; nothing was erased.");

        var now = time.GetUtcNow();
        await DeletePersonalData(redactedEmail: null, now);
        _ = GrainFactory.Count(tenantId, now, StatsEventKind.Erased);
        await GrainFactory.Record(tenantId, new AuditEntry(now, actor, AuditAction.ConversationErased, AuditEntry.ConversationSubject(conversationId)));
        return true;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => reminderName switch
    {
        RetentionClock.ReminderName => CheckRetention(),
        TranscriptRetryReminder => RetryTranscript(),
        _ => Task.CompletedTask,
    };

    private async Task CheckRetention()
    {
        if (!state.State.Started)
        {
            await RetentionClock.Cancel(this);
            return;
        }
        // Re-read the tenant's rules on every check: a fan-out that missed this conversation is corrected here.
        var rules = await GrainFactory.GetGrain<ITenantGrain>(tenantId).GetRetentionRules();
        if (state.State.Retention.Adopt(rules)) await state.WriteStateAsync();
        if (!await EnforceRetention()) await retention.Reschedule(this, Deadline);
    }

    private async Task StartRetention()
    {
        _ = GrainFactory.GetGrain<IRetentionRegistryGrain>(tenantId).Add(RetainedAs);
        await retention.Schedule(this, Deadline);
    }

    /// <summary>Deletes the personal data when the deadline has passed and no hold applies; true when it did.</summary>
    private async Task<bool> EnforceRetention()
    {
        if (!state.State.Started || state.State.Retention.IsHeld || !retention.IsDue(Deadline)) return false;
        var now = retention.Now;
        var redacted = state.State.Retention.KeepRedactedEmail ? EmailRedaction.Redact(state.State.VisitorEmail) : null;
        var missed = FeedsStatistics && state.State.Status != ConversationStatus.Closed && state.State.FirstResponseAt is null;
        await DeletePersonalData(redacted, now);
        _ = GrainFactory.Count(tenantId, now, StatsEventKind.Expired);
        if (missed) _ = GrainFactory.CountMissed(tenantId, now);
        await GrainFactory.Record(tenantId, new AuditEntry(now, AuditEntry.RetentionActor, AuditAction.ConversationExpired,
            AuditEntry.ConversationSubject(conversationId)));
        return true;
    }

    /// <summary>
    /// Messages first, then the state: a crash in between leaves a started conversation whose next check
    /// deletes again, never a state-less log nobody would find.
    /// </summary>
    private async Task DeletePersonalData(string? redactedEmail, DateTimeOffset now)
    {
        FlushCounts(); // counts are anonymous, and complete before the conversation goes
        var wasLive = state.State.Status != ConversationStatus.Closed;
        var leaving = Summary() with { VisitorName = null, Status = ConversationStatus.Closed };
        await log.Delete(key);
        await ForgetMail();
        messages.Clear();
        byClientId.Clear();
        if (redactedEmail is null)
        {
            await state.ClearStateAsync();
        }
        else
        {
            state.State = new ConversationState { RedactedEmail = redactedEmail, ExpiredAt = now };
            await state.WriteStateAsync();
        }
        await RetentionClock.Cancel(this);
        await CancelTranscriptRetry(); // the owed transcript went with the state: nothing is left to send
        _ = GrainFactory.GetGrain<IRetentionRegistryGrain>(tenantId).Remove(RetainedAs);
        // A closed summary without the name takes the conversation off the agents' inbox.
        if (wasLive) _ = GrainFactory.GetGrain<ITenantInboxGrain>(tenantId).Update(leaving);
        if (wasLive) TrackAssignment(leaving);
    }

    private RetentionStatus RetentionNow() => state.State.Started
        ? new RetentionStatus(true, state.State.LastActivityAt, Deadline, state.State.Retention.Hold, state.State.Retention.UnderTenantHold)
        : RetentionStatus.Nothing();

    private async Task CountMessage(ChatMessage message)
    {
        if (message.Sender.IsVisitor)
        {
            if (FeedsStatistics) CountLater(StatsEventKind.VisitorMessage, message.SentAt);
            return;
        }
        if (!message.Sender.IsAgent) return;
        if (FeedsStatistics) CountLater(StatsEventKind.AgentMessage, message.SentAt);
        if (state.State.FirstResponseAt is not null) return;
        state.State.FirstResponseAt = message.SentAt;
        await state.WriteStateAsync();
        FlushCounts(); // a milestone: the day's counts include the messages before it
        if (FeedsStatistics) _ = GrainFactory.Count(tenantId, message.SentAt, StatsEventKind.FirstResponse, message.SentAt - state.State.StartedAt);
    }
}
