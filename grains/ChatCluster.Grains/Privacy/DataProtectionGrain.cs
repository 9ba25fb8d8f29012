using ChatCluster.Conversations;
using ChatCluster.Integrations;
using ChatCluster.Privacy;
using ChatCluster.Tenants;
using ChatCluster.Visitors;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// Carries out a tenant's erasures and holds. The subjects delete their own data, the audit log records what
/// happened. One activation per tenant serialises erasures of that tenant. An erasure is recorded here before its
/// first deletion and forgotten after its last, and an <c>erasure-resume</c> reminder finishes any that a crash or a
/// failed step left behind: an erasure either completes or resumes, it never stays half-done (R5). Whichever path
/// finishes (or refuses) it, the open erasure requests about the visitor in the register are given that outcome.
/// </summary>
public sealed class DataProtectionGrain(
    [PersistentState("data-protection", StorageNames.Chat)] IPersistentState<DataProtectionState> state,
    TimeProvider time,
    RetentionClock clock) : Grain, IDataProtectionGrain, IRemindable
{
    public const string ResumeReminder = "erasure-resume";

    private static readonly TimeSpan ResumeEvery = TimeSpan.FromMinutes(1);

    private string TenantId => this.GetPrimaryKeyString();

    public async Task<ErasureReport> EraseVisitor(string visitorId, string actor)
    {
        var visitor = Visitor(visitorId);
        var status = await visitor.GetRetention();
        if (status.ErasedAt is { } erasedAt)
        {
            // Done, by this call's predecessor or another path: every erasure request about the visitor is answered.
            await Answered(visitorId, PrivacyRequestStatus.Completed);
            await Finished(visitorId);
            return new ErasureReport(visitorId, AlreadyErased: true, 0, erasedAt);
        }
        var profile = await visitor.GetProfile();
        if (profile is null)
        {
            // An erasure under way whose visitor retention deleted meanwhile is done too; a fresh one is refused (not found).
            if (state.State.Pending.ContainsKey(visitorId)) await Answered(visitorId, PrivacyRequestStatus.Completed);
            await Finished(visitorId);
            throw ChatRuleException.NotFound($"Visitor '{visitorId}'"); // never existed here, or retention already deleted it
        }

        // Check every hold before deleting anything, so a refused erasure leaves nothing half-deleted.
        var rules = await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetRetentionRules();
        var conversations = profile.ConversationIds.Select(id => GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, id))).ToList();
        var statuses = await Task.WhenAll(conversations.Select(c => c.GetRetention()));
        var held = rules.TenantHold is not null ? "the whole tenant"
            : status.Hold is not null ? "this visitor"
            : statuses.Any(s => s.Hold is not null) ? "a conversation of this visitor"
            : null;
        if (held is not null)
        {
            await Answered(visitorId, PrivacyRequestStatus.Refused);
            await Finished(visitorId);
            await GrainFactory.Record(TenantId, new AuditEntry(time.GetUtcNow(), actor, AuditAction.ErasureRefused,
                AuditEntry.VisitorSubject(visitorId), "legal hold"));
            throw ChatRuleException.Conflict($"Nothing was erased: {held} is under a legal hold. Lift the hold first (R4).");
        }

        await Begun(visitorId, actor);
        var erased = 0;
        foreach (var conversation in conversations)
        {
            if (await conversation.Erase(actor)) erased++;
        }
        await visitor.Erase(actor);
        // Queued deliveries about the visitor go too; the erasure event says what went, never what it was (I2, R5).
        var webhooks = GrainFactory.GetGrain<IWebhooksGrain>(TenantId);
        await webhooks.ForgetVisitor(visitorId);
        _ = webhooks.Publish(new WebhookEvent(WebhookEventTypes.VisitorErased, time.GetUtcNow())
        {
            VisitorId = visitorId,
            Erased = new Dictionary<string, int> { ["visitorProfile"] = 1, ["conversations"] = erased },
        });
        // What remains (the fact that the id was erased) is listed, so account closure deletes it too (R3).
        await GrainFactory.GetGrain<IRetentionRegistryGrain>(TenantId).Tombstone(new RetainedSubject(RetainedKind.Visitor, visitorId));
        // Answered before the erasure is forgotten: should this fail, the reminder comes back and answers it then.
        await Answered(visitorId, PrivacyRequestStatus.Completed);
        await Finished(visitorId);
        return new ErasureReport(visitorId, AlreadyErased: false, erased, time.GetUtcNow());
    }

    /// <summary>
    /// The request register shows the outcome whichever path finished the erasure: the admin's call, a repeated call,
    /// or the <c>erasure-resume</c> reminder after a crash or a failed step (R5). The register grain writes nothing
    /// when no request is open, so an account purge leaves no register behind.
    /// </summary>
    private Task Answered(string visitorId, PrivacyRequestStatus outcome) =>
        GrainFactory.GetGrain<IPrivacyRequestsGrain>(TenantId).CompleteOpen(PrivacyRequestKind.Erasure, AuditEntry.VisitorSubject(visitorId), outcome);

    public Task<IReadOnlyList<string>> PendingErasures() =>
        Task.FromResult<IReadOnlyList<string>>([.. state.State.Pending.Keys.Order(StringComparer.Ordinal)]);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ResumeReminder) return;
        foreach (var (visitorId, actor) in state.State.Pending.ToList())
        {
            try
            {
                await EraseVisitor(visitorId, actor);
            }
            catch (ChatRuleException e) when (e.Code is ErrorCodes.NotFound or ErrorCodes.Conflict)
            {
                // Gone meanwhile, or a hold placed after the erasure began keeps the rest (recorded as refused).
            }
            catch (Exception)
            {
                // Still failing (storage down): the next tick tries again.
            }
        }
        if (state.State.Pending.Count == 0) await CancelResume();
    }

    public async Task Purge()
    {
        await CancelResume();
        if (state.RecordExists) await state.ClearStateAsync();
        DeactivateOnIdle();
    }

    /// <summary>Recorded before the first deletion, with a reminder that resumes it if this call never finishes.</summary>
    private async Task Begun(string visitorId, string actor)
    {
        if (state.State.Pending.TryAdd(visitorId, actor)) await state.WriteStateAsync();
        var every = clock.Interval < ResumeEvery ? clock.Interval : ResumeEvery;
        await this.RegisterOrUpdateReminder(ResumeReminder, every, every);
    }

    private async Task Finished(string visitorId)
    {
        if (!state.State.Pending.Remove(visitorId)) return;
        await state.WriteStateAsync();
        if (state.State.Pending.Count == 0) await CancelResume();
    }

    private async Task CancelResume()
    {
        if (await this.GetReminder(ResumeReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    public async Task<SubjectExport> ExportVisitor(string visitorId, string actor)
    {
        var visitor = Visitor(visitorId);
        var profile = await visitor.GetProfile() ?? throw ChatRuleException.NotFound($"Visitor '{visitorId}'");
        var system = new Participant(ParticipantKind.System, "export", null);
        var conversations = new List<ConversationExport>();
        foreach (var id in profile.ConversationIds)
        {
            var conversation = GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, id));
            if (await conversation.GetSummary() is not { } summary) continue; // expired or erased already
            var messages = new List<ChatMessage>();
            HistoryPage page;
            do
            {
                page = await conversation.GetHistory(system, messages.Count == 0 ? 0 : messages[^1].Seq, MessageLimits.MaxHistoryPage);
                messages.AddRange(page.Messages);
            }
            while (page.HasMore);
            conversations.Add(new ConversationExport(summary, await conversation.GetContact(), await conversation.GetRetention(), messages)
            {
                Record = await conversation.GetRecord(),
            });
        }
        var now = time.GetUtcNow();
        await GrainFactory.Record(TenantId, new AuditEntry(now, actor, AuditAction.SubjectExported, AuditEntry.VisitorSubject(visitorId),
            $"{conversations.Count} conversations"));
        return new SubjectExport(visitorId, now, profile, await visitor.GetRestrictions(), await visitor.GetRetention(), conversations);
    }

    public async Task<HoldReport> PlaceHold(HoldScope scope, string? subjectId, string reason, string actor)
    {
        reason = reason?.Trim() ?? "";
        if (reason.Length == 0) throw ChatRuleException.Invalid("A legal hold needs a reason.");
        if (reason.Length > LegalHold.MaxReasonLength) throw ChatRuleException.Invalid($"A hold's reason is at most {LegalHold.MaxReasonLength} characters.");

        HoldReport report;
        if (scope == HoldScope.Tenant)
        {
            var rules = await GrainFactory.GetGrain<ITenantGrain>(TenantId).PlaceHold(reason, actor);
            report = new HoldReport(scope, null, rules.TenantHold, HoldsPersonalData: true);
        }
        else
        {
            var subject = Subject(scope, subjectId);
            var before = await subject.GetRetention();
            if (!before.HoldsPersonalData) throw ChatRuleException.NotFound($"{scope} '{subjectId}'");
            var status = await subject.PlaceHold(new LegalHold(reason, actor, time.GetUtcNow()));
            report = new HoldReport(scope, subjectId, status.Hold, status.HoldsPersonalData);
        }
        // The reason is kept with the hold, not copied into the audit log: it is free text and could name someone.
        await GrainFactory.Record(TenantId, new AuditEntry(time.GetUtcNow(), actor, AuditAction.HoldPlaced, AuditSubject(scope, subjectId)));
        return report;
    }

    public async Task<HoldReport> LiftHold(HoldScope scope, string? subjectId, string actor)
    {
        HoldReport report;
        if (scope == HoldScope.Tenant)
        {
            await GrainFactory.GetGrain<ITenantGrain>(TenantId).LiftHold(actor);
            report = new HoldReport(scope, null, null, HoldsPersonalData: true);
        }
        else
        {
            var subject = Subject(scope, subjectId);
            var before = await subject.GetRetention();
            if (!before.HoldsPersonalData) throw ChatRuleException.NotFound($"{scope} '{subjectId}'");
            var rules = await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetRetentionRules();
            var status = await subject.LiftHold(rules);
            report = new HoldReport(scope, subjectId, status.Hold, status.HoldsPersonalData);
        }
        await GrainFactory.Record(TenantId, new AuditEntry(time.GetUtcNow(), actor, AuditAction.HoldLifted, AuditSubject(scope, subjectId)));
        // A closed account past its purge date finishes the purge the moment its last hold goes (R3, R4); one-way,
        // because the purge calls back into this grain.
        _ = GrainFactory.GetGrain<ITenantGrain>(TenantId).ResumePurge();
        return report;
    }

    public async Task<EmailIndexRebuild> RebuildEmailIndex(string? after)
    {
        if (await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetStanding() == TenantStanding.Unknown)
            throw ChatRuleException.NotFound($"Tenant '{TenantId}'");
        var subjects = await GrainFactory.GetGrain<IRetentionRegistryGrain>(TenantId).List();
        var remaining = subjects
            .Where(s => s.Kind == RetainedKind.Visitor && (after is null || string.CompareOrdinal(s.LocalId, after) > 0))
            .Select(s => s.LocalId)
            .Order(StringComparer.Ordinal)
            .ToList();
        var page = remaining.Take(EmailIndexRebuild.PageSize).ToList();
        var indexed = 0;
        foreach (var batch in page.Chunk(32)) // a few visitors at a time: quick, without flooding the silo
            indexed += (await Task.WhenAll(batch.Select(id => Visitor(id).IndexEmail()))).Count(filed => filed);
        return new EmailIndexRebuild(page.Count, indexed, remaining.Count > page.Count ? page[^1] : null);
    }

    private IVisitorGrain Visitor(string visitorId) =>
        Ids.IsLocalId(visitorId)
            ? GrainFactory.GetGrain<IVisitorGrain>(GrainKeys.Scoped(TenantId, visitorId))
            : throw ChatRuleException.NotFound($"Visitor '{visitorId}'");

    private IRetainedData Subject(HoldScope scope, string? subjectId)
    {
        if (subjectId is null || !Ids.IsLocalId(subjectId)) throw ChatRuleException.NotFound($"{scope} '{subjectId}'");
        return scope == HoldScope.Visitor
            ? GrainFactory.GetGrain<IVisitorGrain>(GrainKeys.Scoped(TenantId, subjectId))
            : GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, subjectId));
    }

    private static string AuditSubject(HoldScope scope, string? subjectId) => scope switch
    {
        HoldScope.Visitor => AuditEntry.VisitorSubject(subjectId!),
        HoldScope.Conversation => AuditEntry.ConversationSubject(subjectId!),
        _ => AuditEntry.TenantSubject,
    };
}

[GenerateSerializer]
public sealed class DataProtectionState
{
    /// <summary>Erasures begun and not finished: visitor id → the actor who asked (pseudonymous, no personal data).</summary>
    [Id(0)] public Dictionary<string, string> Pending { get; set; } = new(StringComparer.Ordinal);
}
