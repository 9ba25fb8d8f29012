using ChatCluster.Conversations;
using ChatCluster.Grains.Mail;
using ChatCluster.Grains.Privacy;
using ChatCluster.Grains.Streams;
using ChatCluster.Inbox;
using ChatCluster.Insights;
using ChatCluster.Privacy;
using ChatCluster.Routing;
using ChatCluster.Security;
using ChatCluster.Tenants;
using ChatCluster.Visitors;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Grains.Tenants;

/// <summary>
/// Account closure (R3). Closing disables the tenant at once and stores a deadline (closed + the configured grace,
/// 30 days); a durable <c>closure-check</c> reminder compares it with the clock, the same periodic-check pattern as
/// retention. At the deadline, unless a tenant-wide hold exists, the purge deletes everything that is not under a hold
/// (R4): every visitor and conversation not held, their tombstones, verified-user records, the outbox, routing, inbox, AI settings,
/// statistics, audit and AI call logs, request register, the team and the site key. What is held stays, with the
/// closed tenant's bare record (dates, policy, the held ids) so the operator can still lift the holds; lifting the last
/// one finishes the purge at once, which then deletes that record and Orleans' stream records of the tenant and leaves
/// only the <see cref="ClosureRecordGrain"/> (no personal data, R7). The purge is recorded before its first deletion
/// and every step is idempotent, so a crash resumes it at the next check. Reopening before the deadline cancels it.
/// </summary>
public sealed partial class TenantGrain : IRemindable
{
    public const string ClosureReminder = "closure-check";

    private const string PurgeActor = "system:closure";

    public Task<TenantClosure?> GetClosure() =>
        Task.FromResult(state.State.Created && state.State.ClosedAt is { } at
            ? new TenantClosure(at, state.State.PurgeAt!.Value, state.State.Hold is not null || state.State.HeldSubjects.Count > 0,
                [.. state.State.HeldSubjects], state.State.PurgeStartedAt)
            : null);

    public Task<TenantStanding> GetStanding() =>
        Task.FromResult(!state.State.Created ? TenantStanding.Unknown : state.State.ClosedAt is null ? TenantStanding.Open : TenantStanding.Closed);

    public async Task<TenantClosure> Close(string actor)
    {
        EnsureCreated();
        if (state.State.ClosedAt is null)
        {
            var now = time.GetUtcNow();
            state.State.ClosedAt = now;
            state.State.PurgeAt = now + retention.Value.ClosureGrace;
            await state.WriteStateAsync();
            await GrainFactory.Record(TenantId, new AuditEntry(now, actor, AuditAction.TenantClosed, AuditEntry.TenantSubject,
                $"purge at {state.State.PurgeAt:O}"));
            await RefuseLiveConversations();
        }
        await TellGateways(TenantStanding.Closed);
        await this.RegisterOrUpdateReminder(ClosureReminder, Clock.NextCheck(state.State.PurgeAt!.Value), Clock.Interval);
        return (await GetClosure())!;
    }

    public async Task<TenantInfo> Reopen(string actor)
    {
        EnsureCreated();
        if (state.State.ClosedAt is null) return Info();
        if (state.State.PurgeStartedAt is not null) throw ChatRuleException.Conflict("The account's purge has begun; it can no longer be reopened.");
        state.State.ClosedAt = null;
        state.State.PurgeAt = null;
        await state.WriteStateAsync();
        await CancelClosureReminder();
        await GrainFactory.Record(TenantId, new AuditEntry(time.GetUtcNow(), actor, AuditAction.TenantReopened, AuditEntry.TenantSubject));
        await TellGateways(TenantStanding.Open);
        return Info();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ClosureReminder) return;
        if (!state.State.Created || state.State.PurgeAt is not { } deadline)
        {
            await CancelClosureReminder();
            return;
        }
        if (!Clock.IsDue(deadline))
        {
            await ScheduleNext(deadline);
            return;
        }
        if (state.State.Hold is not null) return; // a tenant-wide hold keeps everything; lifting it purges at once
        await Purge();
    }

    public Task<ClosureRecord?> GetClosureRecord() =>
        GrainFactory.GetGrain<IClosureRecordGrain>(ClosureRecordGrain.KeyFor(TenantId, ServiceProvider)).Get();

    public async Task ResumePurge()
    {
        if (!state.State.Created || state.State.PurgeAt is not { } deadline || !Clock.IsDue(deadline) || state.State.Hold is not null) return;
        await Purge();
    }

    private async Task Purge()
    {
        var now = time.GetUtcNow();
        if (state.State.PurgeStartedAt is null)
        {
            // Recorded before the first deletion: from here on the account is being purged, and a crash resumes it.
            state.State.PurgeStartedAt = now;
            await state.WriteStateAsync();
        }
        var registry = GrainFactory.GetGrain<IRetentionRegistryGrain>(TenantId);
        var protection = GrainFactory.GetGrain<IDataProtectionGrain>(TenantId);
        var held = new SortedSet<string>(StringComparer.Ordinal);
        var subjects = await registry.List();
        foreach (var subject in subjects.Where(s => s.Kind == RetainedKind.Visitor))
        {
            try
            {
                var report = await protection.EraseVisitor(subject.LocalId, PurgeActor);
                if (!report.AlreadyErased) state.State.Purged.Visitors++;
                state.State.Purged.Conversations += report.ConversationsErased;
            }
            catch (ChatRuleException e) when (e.Code == ErrorCodes.NotFound)
            {
                // expired meanwhile
            }
            catch (ChatRuleException e) when (e.Code == ErrorCodes.Conflict)
            {
                held.Add(AuditEntry.VisitorSubject(subject.LocalId)); // the visitor or one of their conversations is held (R4)
            }
        }
        foreach (var subject in subjects.Where(s => s.Kind == RetainedKind.Conversation))
        {
            try
            {
                if (await GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, subject.LocalId)).Erase(PurgeActor)) state.State.Purged.Conversations++;
            }
            catch (ChatRuleException e) when (e.Code == ErrorCodes.Conflict)
            {
                held.Add(AuditEntry.ConversationSubject(subject.LocalId));
            }
        }
        var heldVisitors = held.Where(h => h.StartsWith("visitor:", StringComparison.Ordinal)).Select(h => h["visitor:".Length..]).ToList();

        // Self-service records: of addresses no visitor gave (only request times), and of erased visitors; a held visitor's stays.
        foreach (var subject in subjects.Where(s => s.Kind == RetainedKind.SelfServiceRecord))
            await GrainFactory.GetGrain<ISelfServiceGrain>(GrainKeys.Scoped(TenantId, subject.LocalId)).Purge(heldVisitors);
        // Verified users (I3): a hash of the site's user id pointing to a visitor; a held visitor's stays with them.
        foreach (var subject in subjects.Where(s => s.Kind == RetainedKind.VerifiedUser))
            await GrainFactory.GetGrain<ChatCluster.Integrations.IVerifiedUserGrain>(GrainKeys.Scoped(TenantId, subject.LocalId)).Purge(heldVisitors);
        foreach (var agentId in state.State.Agents.Keys)
        {
            await GrainFactory.GetGrain<IAgentMfaGrain>(GrainKeys.Scoped(TenantId, agentId)).Purge();
            await GrainFactory.GetGrain<IAgentSetupCodesGrain>(GrainKeys.Scoped(TenantId, agentId)).Purge();
        }

        // The tenant-wide grains: routing (capacities, assignments), the inbox projection, the AI settings.
        await GrainFactory.GetGrain<IAgentRoutingGrain>(TenantId).Purge();
        await GrainFactory.GetGrain<ITenantInboxGrain>(TenantId).Purge();
        await GrainFactory.GetGrain<ITenantAiSettingsGrain>(TenantId).Purge();
        await GrainFactory.GetGrain<ChatCluster.Integrations.IApiKeysGrain>(TenantId).Purge();
        await GrainFactory.GetGrain<ChatCluster.Integrations.IWebhooksGrain>(TenantId).Purge();
        await GrainFactory.GetGrain<ChatCluster.Integrations.IIdentityVerificationGrain>(TenantId).Purge();

        // Statistics, audit log, AI call log and request register: R3 deletes everything; the closure record below remains.
        var first = DateOnly.FromDateTime(state.State.CreatedAt.UtcDateTime);
        var last = DateOnly.FromDateTime(now.UtcDateTime);
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            var at = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            await GrainFactory.GetGrain<IDailyStatsGrain>(DayKeys.For(TenantId, at)).Purge();
            await GrainFactory.GetGrain<IAiCallLogGrain>(DayKeys.For(TenantId, at)).Purge();
        }
        if (ServiceProvider.GetService<IAuditStore>() is { } audit) await audit.PurgeTenant(TenantId);
        await GrainFactory.GetGrain<IPrivacyRequestsGrain>(TenantId).Purge();
        if (state.State.SiteKey.Length > 0) await GrainFactory.GetGrain<ISiteKeyGrain>(state.State.SiteKey).Unbind();

        // Tombstones last: the erasures above listed theirs (erased visitors, redacted emails of expired conversations).
        foreach (var tombstone in await registry.List())
        {
            if (tombstone.Kind == RetainedKind.VisitorTombstone)
                await GrainFactory.GetGrain<IVisitorGrain>(GrainKeys.Scoped(TenantId, tombstone.LocalId)).DropTombstone();
            else if (tombstone.Kind == RetainedKind.ConversationTombstone)
                await GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, tombstone.LocalId)).Erase(PurgeActor);
        }

        if (held.Count > 0)
        {
            await KeepOnlyWhatIsHeld(held);
            return;
        }
        await protection.Purge();
        await registry.Clear();
        if (ServiceProvider.GetService<IMailSender>() is { } mail) await mail.PurgeTenant(TenantId);
        // Last, so the stream events of the erasures above have reached their pulling agents (IStreamBookkeeping).
        if (ServiceProvider.GetService<IStreamBookkeeping>() is { } streams) await streams.PurgeTenant(TenantId);
        await GrainFactory.GetGrain<IClosureRecordGrain>(ClosureRecordGrain.KeyFor(TenantId, ServiceProvider)).Record(new ClosureRecord(
            state.State.CreatedAt, state.State.ClosedAt!.Value, state.State.PurgeStartedAt!.Value, time.GetUtcNow(),
            state.State.Purged.Visitors, state.State.Purged.Conversations, state.State.Purged.HeldUntilLifted));
        await CancelClosureReminder();
        await state.ClearStateAsync();
        DeactivateOnIdle();
    }

    /// <summary>
    /// Some data is held (R4): everything else is gone by now; the tenant keeps only what the purge needs to finish
    /// once the holds are lifted — dates, policy, the held ids — and the reminder keeps checking.
    /// </summary>
    private async Task KeepOnlyWhatIsHeld(SortedSet<string> held)
    {
        var purged = state.State.Purged;
        purged.HeldUntilLifted = Math.Max(purged.HeldUntilLifted, held.Count);
        state.State = new TenantState
        {
            Created = true,
            CreatedAt = state.State.CreatedAt,
            RetentionPolicy = state.State.RetentionPolicy,
            Hold = state.State.Hold,
            ClosedAt = state.State.ClosedAt,
            PurgeAt = state.State.PurgeAt,
            PurgeStartedAt = state.State.PurgeStartedAt,
            HeldSubjects = [.. held],
            Purged = purged,
        };
        await state.WriteStateAsync();
    }

    /// <summary>
    /// The tenant's live conversations refuse sends from the moment of closure (no acknowledgement after it); the
    /// gateways close their sockets. A conversation the inbox has not listed yet asks the tenant itself (see
    /// <c>ConversationGrain.EnsureTenantOpen</c>).
    /// </summary>
    private async Task RefuseLiveConversations()
    {
        var live = await GrainFactory.GetGrain<ITenantInboxGrain>(TenantId).List();
        foreach (var batch in live.Chunk(64))
            await Task.WhenAll(batch.Select(c => GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, c.ConversationId)).TenantClosed()));
    }

    /// <summary>Tells the gateways (through the closure board) so they close the account's open sockets within a poll.</summary>
    private async Task TellGateways(TenantStanding standing)
    {
        try
        {
            await GrainFactory.GetGrain<ITenantClosureBoardGrain>(ITenantClosureBoardGrain.Key).Post(TenantId, standing);
        }
        catch (Exception)
        {
            // The closure is stored; the gateways' own per-socket check notices it a few seconds later.
        }
    }

    private RetentionClock Clock => ServiceProvider.GetRequiredService<RetentionClock>();

    private Task ScheduleNext(DateTimeOffset deadline) =>
        deadline - Clock.Now < Clock.Interval ? this.RegisterOrUpdateReminder(ClosureReminder, Clock.NextCheck(deadline), Clock.Interval) : Task.CompletedTask;

    private async Task CancelClosureReminder()
    {
        if (await this.GetReminder(ClosureReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }
}

/// <summary>What a purge has deleted so far, and the most it kept for holds: the counts of the closure record.</summary>
[GenerateSerializer]
public sealed class PurgeCounts
{
    [Id(0)] public int Visitors { get; set; }
    [Id(1)] public int Conversations { get; set; }
    [Id(2)] public int HeldUntilLifted { get; set; }
}
