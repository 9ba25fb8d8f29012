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
/// retention. At the deadline, unless a tenant-wide hold exists, every visitor and conversation is erased, the
/// outbox folder, routing, inbox, AI settings, statistics, audit and AI call logs, request register and Orleans' stream
/// records of the tenant are deleted, the site key is unbound and the tenant's own state is cleared. Reopening before the deadline cancels all of it.
/// </summary>
public sealed partial class TenantGrain : IRemindable
{
    public const string ClosureReminder = "closure-check";

    public Task<TenantClosure?> GetClosure() =>
        Task.FromResult(state.State.Created && state.State.ClosedAt is { } at ? new TenantClosure(at, state.State.PurgeAt!.Value, state.State.Hold is not null) : null);

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
        }
        await this.RegisterOrUpdateReminder(ClosureReminder, Clock.NextCheck(state.State.PurgeAt!.Value), Clock.Interval);
        return (await GetClosure())!;
    }

    public async Task<TenantInfo> Reopen(string actor)
    {
        EnsureCreated();
        if (state.State.ClosedAt is null) return Info();
        state.State.ClosedAt = null;
        state.State.PurgeAt = null;
        await state.WriteStateAsync();
        await CancelClosureReminder();
        await GrainFactory.Record(TenantId, new AuditEntry(time.GetUtcNow(), actor, AuditAction.TenantReopened, AuditEntry.TenantSubject));
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
        if (state.State.Hold is not null || !Clock.IsDue(deadline))
        {
            if (!Clock.IsDue(deadline)) await ScheduleNext(deadline);
            return; // a tenant-wide hold keeps everything; lifting it lets the next tick purge
        }
        await Purge();
    }

    private async Task Purge()
    {
        const string actor = "system:closure";
        var registry = GrainFactory.GetGrain<IRetentionRegistryGrain>(TenantId);
        var protection = GrainFactory.GetGrain<IDataProtectionGrain>(TenantId);
        var subjects = await registry.List();
        foreach (var subject in subjects)
        {
            if (subject.Kind == RetainedKind.Visitor)
            {
                try
                {
                    await protection.EraseVisitor(subject.LocalId, actor);
                }
                catch (ChatRuleException e) when (e.Code == ErrorCodes.NotFound)
                {
                    // expired meanwhile
                }
            }
            else if (subject.Kind == RetainedKind.Conversation)
                await GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, subject.LocalId)).Erase(actor);
        }
        foreach (var subject in subjects.Where(s => s.Kind == RetainedKind.Visitor))
            await GrainFactory.GetGrain<IVisitorGrain>(GrainKeys.Scoped(TenantId, subject.LocalId)).DropTombstone();
        // Self-service records of addresses no visitor gave (only request times) are not reached by the erasures.
        foreach (var subject in subjects.Where(s => s.Kind == RetainedKind.SelfServiceRecord))
            await GrainFactory.GetGrain<ISelfServiceGrain>(GrainKeys.Scoped(TenantId, subject.LocalId)).Purge();
        foreach (var agentId in state.State.Agents.Keys)
        {
            await GrainFactory.GetGrain<IAgentMfaGrain>(GrainKeys.Scoped(TenantId, agentId)).Purge();
            await GrainFactory.GetGrain<IAgentSetupCodesGrain>(GrainKeys.Scoped(TenantId, agentId)).Purge();
        }
        await registry.Clear();
        if (ServiceProvider.GetService<IMailSender>() is { } mail) await mail.PurgeTenant(TenantId);

        // The tenant-wide grains: routing (capacities, assignments), the inbox projection, the AI settings.
        // The conversations are erased by now, so no summary is left to bring the inbox back.
        await GrainFactory.GetGrain<IAgentRoutingGrain>(TenantId).Purge();
        await GrainFactory.GetGrain<ITenantInboxGrain>(TenantId).Purge();
        await GrainFactory.GetGrain<ITenantAiSettingsGrain>(TenantId).Purge();

        // Statistics, audit log, AI call log and request register: R3 deletes everything, and no record is required by law yet.
        var first = DateOnly.FromDateTime(state.State.CreatedAt.UtcDateTime);
        var last = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            var at = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            await GrainFactory.GetGrain<IDailyStatsGrain>(DayKeys.For(TenantId, at)).Purge();
            await GrainFactory.GetGrain<IAuditLogGrain>(DayKeys.For(TenantId, at)).Purge();
            await GrainFactory.GetGrain<IAiCallLogGrain>(DayKeys.For(TenantId, at)).Purge();
        }
        await GrainFactory.GetGrain<IPrivacyRequestsGrain>(TenantId).Purge();

        await GrainFactory.GetGrain<ISiteKeyGrain>(state.State.SiteKey).Unbind();
        // Last, so the stream events of the erasures above have reached their pulling agents (IStreamBookkeeping).
        if (ServiceProvider.GetService<IStreamBookkeeping>() is { } streams) await streams.PurgeTenant(TenantId);
        await CancelClosureReminder();
        await state.ClearStateAsync();
        DeactivateOnIdle();
    }

    private RetentionClock Clock => ServiceProvider.GetRequiredService<RetentionClock>();

    private Task ScheduleNext(DateTimeOffset deadline) =>
        deadline - Clock.Now < Clock.Interval ? this.RegisterOrUpdateReminder(ClosureReminder, Clock.NextCheck(deadline), Clock.Interval) : Task.CompletedTask;

    private async Task CancelClosureReminder()
    {
        if (await this.GetReminder(ClosureReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }
}
