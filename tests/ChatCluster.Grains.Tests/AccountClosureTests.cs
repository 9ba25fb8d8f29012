using ChatCluster.Grains.Conversations;
using ChatCluster.Grains.Integrations;
using ChatCluster.Grains.Inbox;
using ChatCluster.Grains.Insights;
using ChatCluster.Grains.Privacy;
using ChatCluster.Grains.Routing;
using ChatCluster.Grains.Tenants;
using ChatCluster.Grains.Visitors;
using ChatCluster.Inbox;
using ChatCluster.Insights;
using ChatCluster.Integrations;
using ChatCluster.Privacy;
using ChatCluster.Routing;
using ChatCluster.Tenants;

namespace ChatCluster.Grains.Tests;

/// <summary>R3: a closed account is purged after the grace period (30 days) unless reopened or under a hold.</summary>
[Collection(RetentionCollection.Name)]
public sealed class AccountClosureTests(RetentionCluster cluster)
{
    private static readonly TimeSpan Grace = TimeSpan.FromDays(30);

    [Fact]
    public async Task Thirty_days_after_closing_nothing_of_the_tenant_remains()
    {
        var tenantId = await cluster.NewTenant();
        var tenant = cluster.Grains.GetGrain<ITenantGrain>(tenantId);
        var siteKey = (await tenant.GetInfo())!.SiteKey;
        var chat = await cluster.NewChat(tenantId);
        var day = cluster.Time.GetUtcNow();
        await RetentionCluster.Eventually(async () => (await cluster.Stats(tenantId, day)).ConversationsStarted == 1, "the chat was counted");
        var routing = cluster.Grains.GetGrain<IAgentRoutingGrain>(tenantId);
        await routing.SetCapacity("a_owner", 5);
        var ai = cluster.Grains.GetGrain<ITenantAiSettingsGrain>(tenantId);
        await ai.Set(new AiSettings(Enabled: true), "agent:a_owner");
        var aiCalls = cluster.Grains.GetGrain<IAiCallLogGrain>(DayKeys.For(tenantId, day));
        await aiCalls.Append(new AiCallRecord(day, AuditEntry.Agent("a_owner"), "summary", AuditEntry.ConversationSubject(chat.ConversationId),
            "fake", null, false, 10, new Dictionary<string, int>(), AiOutcomes.Ok, 1, true));
        var inbox = cluster.Grains.GetGrain<ITenantInboxGrain>(tenantId);
        await RetentionCluster.Eventually(async () => (await cluster.StoredState<TenantInboxState>(inbox, "inbox")).Exists, "the inbox listed the chat");
        // A code asked for an address no visitor gave: only request times are stored, and no visitor leads to them.
        var stranger = cluster.Grains.GetGrain<ISelfServiceGrain>(cluster.EmailIndex.Scoped(tenantId, "stranger@example.org"));
        await stranger.RequestCode("stranger@example.org");
        Assert.True((await cluster.StoredState<SelfServiceState>(stranger, "self-service")).Exists);
        // A verified user of the site (I3): a record keyed by the tenant and a hash of the site's user id.
        var verifiedUser = cluster.Grains.GetGrain<IVerifiedUserGrain>(IdentityVerification.UserKey(tenantId, "user-42"));
        await verifiedUser.SetVisitorId(chat.VisitorId);
        Assert.True((await cluster.StoredState<VerifiedUserState>(verifiedUser, "verified-user")).Exists);

        var closure = await tenant.Close(AuditEntry.Agent("a_owner"));
        Assert.Equal(cluster.Time.GetUtcNow() + Grace, closure.PurgeAt);
        Assert.NotNull(await tenant.GetClosure());

        cluster.Time.Advance(Grace - TimeSpan.FromDays(1));
        await Task.Delay(2500);
        Assert.NotNull(await tenant.GetInfo());
        Assert.NotNull(await chat.Visitor.GetProfile());

        cluster.Time.Advance(TimeSpan.FromDays(1));
        await RetentionCluster.Eventually(async () => await tenant.GetInfo() is null, "the tenant was purged");

        Assert.Null(await cluster.Grains.GetGrain<ISiteKeyGrain>(siteKey).GetTenantId());
        Assert.False((await cluster.StoredState<TenantState>(tenant, "tenant")).Exists);
        Assert.Null(await chat.Visitor.GetProfile());
        Assert.False((await cluster.StoredState<VisitorState>(chat.Visitor, "visitor")).Exists);
        Assert.False((await cluster.StoredState<ConversationState>(chat.Conversation, "conversation")).Exists);
        Assert.Null(await chat.Conversation.GetSummary());
        Assert.Empty(await cluster.StoredMessages(tenantId, chat.ConversationId));
        Assert.Equal(0, await cluster.Grains.GetGrain<IRetentionRegistryGrain>(tenantId).Count());
        Assert.False((await cluster.StoredState<DailyStatsState>(cluster.Grains.GetGrain<IDailyStatsGrain>(DayKeys.For(tenantId, day)), "stats")).Exists);
        Assert.Empty(await cluster.Audit(tenantId, day));
        Assert.False((await cluster.StoredState<SelfServiceState>(cluster.Grains.GetGrain<ISelfServiceGrain>(cluster.EmailIndex.Scoped(tenantId, Chat.Email)), "self-service")).Exists);
        Assert.False((await cluster.StoredState<SelfServiceState>(stranger, "self-service")).Exists);
        Assert.False((await cluster.StoredState<VerifiedUserState>(verifiedUser, "verified-user")).Exists);
        Assert.DoesNotContain(cluster.Mail.Sent, m => m.TenantId == tenantId);
        Assert.False((await cluster.StoredState<AgentRoutingState>(routing, "routing")).Exists);
        Assert.False((await cluster.StoredState<TenantAiSettingsState>(ai, "ai")).Exists);
        Assert.False((await cluster.StoredState<AiCallLogState>(aiCalls, "aicalls")).Exists);
        Assert.False((await cluster.StoredState<TenantInboxState>(inbox, "inbox")).Exists);

        // Statistics events still on their way (they are one-way) do not bring a day of the purged tenant back.
        var lateDay = cluster.Grains.GetGrain<IDailyStatsGrain>(DayKeys.For(tenantId, day));
        await lateDay.Record(new StatsEvent(StatsEventKind.ConversationStarted, At: day) { Country = "DE" });
        await lateDay.Record(new StatsEvent(StatsEventKind.VisitorMessage, At: day));
        var lateReport = cluster.Grains.GetGrain<ChatCluster.Reports.IDayReportGrain>(DayKeys.For(tenantId, day));
        await lateReport.ConversationMissed();
        await lateReport.ConversationAssigned("a_owner");
        var later = cluster.Grains.GetGrain<IDailyStatsGrain>(DayKeys.For(tenantId, day.AddDays(2)));
        await later.Record(new StatsEvent(StatsEventKind.Expired, At: day.AddDays(2)));
        await Task.Delay(500); // one-way calls: let them land
        Assert.Equal(0, (await lateDay.Get()).ConversationsStarted);
        Assert.Equal(0, (await lateDay.Get()).VisitorMessages);
        Assert.Equal(0, (await lateReport.GetReport()).Missed);
        Assert.Equal(0, (await later.Get()).Expired);
    }

    [Fact]
    public async Task A_closed_tenants_conversations_acknowledge_no_send_and_reopening_lets_them_chat_again()
    {
        var tenantId = await cluster.NewTenant();
        var tenant = cluster.Grains.GetGrain<ITenantGrain>(tenantId);
        var chat = await cluster.NewChat(tenantId);
        await RetentionCluster.Eventually(async () => (await cluster.Grains.GetGrain<ITenantInboxGrain>(tenantId).List()).Count == 1, "the inbox listed the chat");

        await tenant.Close(AuditEntry.Agent("a_owner"));

        var refused = await Assert.ThrowsAsync<ChatRuleException>(() => chat.Conversation.Send(chat.Me, "m-2", "after the closure"));
        Assert.Equal(ErrorCodes.TenantClosed, refused.Code);
        var fresh = cluster.Grains.GetGrain<ChatCluster.Conversations.IConversationGrain>(GrainKeys.Scoped(tenantId, Ids.NewConversationId()));
        Assert.Equal(ErrorCodes.TenantClosed, (await Assert.ThrowsAsync<ChatRuleException>(() => fresh.Start(chat.Me, new(null, null)))).Code);
        Assert.Single(await cluster.StoredMessages(tenantId, chat.ConversationId));

        await tenant.Reopen(AuditEntry.Agent("a_owner"));
        Assert.Equal(2, (await chat.Conversation.Send(chat.Me, "m-2", "after reopening")).Seq);
    }

    [Fact]
    public async Task A_tenant_hold_blocks_the_purge_and_reopening_before_the_deadline_cancels_it()
    {
        var held = await cluster.NewTenant();
        var heldChat = await cluster.NewChat(held);
        var heldTenant = cluster.Grains.GetGrain<ITenantGrain>(held);
        await heldTenant.PlaceHold("litigation", AuditEntry.Agent("a_owner"));
        await heldTenant.Close(AuditEntry.Agent("a_owner"));

        var reopened = await cluster.NewTenant();
        var reopenedChat = await cluster.NewChat(reopened);
        var reopenedTenant = cluster.Grains.GetGrain<ITenantGrain>(reopened);
        await reopenedTenant.Close(AuditEntry.Agent("a_owner"));
        cluster.Time.Advance(TimeSpan.FromDays(10));
        await reopenedTenant.Reopen(AuditEntry.Agent("a_owner"));
        Assert.Null(await reopenedTenant.GetClosure());

        cluster.Time.Advance(Grace);
        await Task.Delay(3000);
        Assert.NotNull(await heldTenant.GetInfo());
        Assert.True((await heldTenant.GetClosure())!.Held);
        Assert.NotNull(await heldChat.Visitor.GetProfile());
        Assert.NotNull(await reopenedTenant.GetInfo());
        Assert.NotNull(await reopenedChat.Conversation.GetSummary());

        await heldTenant.LiftHold(AuditEntry.Agent("a_owner"));
        await RetentionCluster.Eventually(async () => await heldTenant.GetInfo() is null, "the tenant was purged once the hold was lifted");
        Assert.Null(await heldChat.Visitor.GetProfile());
    }

    [Fact]
    public async Task A_tenant_id_reused_after_the_purge_gets_a_new_generation_so_the_old_tenants_tokens_fail()
    {
        var tenantId = await cluster.NewTenant();
        var tenant = cluster.Grains.GetGrain<ITenantGrain>(tenantId);
        var before = await tenant.GetAccess();
        Assert.NotEmpty(before.Generation);
        await tenant.Close(AuditEntry.Agent("a_owner"));
        cluster.Time.Advance(Grace);
        await RetentionCluster.Eventually(async () => await tenant.GetInfo() is null, "the tenant was purged");
        Assert.Equal(TenantStanding.Unknown, (await tenant.GetAccess()).Standing);

        await tenant.Create(new NewTenant("Someone else", [], new NewAgent("owner@" + tenantId + ".test", "Owner", AgentRole.Owner, "bcrypt-hash-placeholder")));

        var after = await tenant.GetAccess();
        Assert.NotEqual(before.Generation, after.Generation);
        Assert.Empty(after.AgentStamps.Keys.Intersect(before.AgentStamps.Keys));
    }
}
