using ChatCluster.Grains.Conversations;
using ChatCluster.Grains.Visitors;
using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Grains.Tests;

/// <summary>R1, R2: personal data dies at the tenant's deadline; anonymised statistics survive it.</summary>
[Collection(RetentionCollection.Name)]
public sealed class RetentionExpiryTests(RetentionCluster cluster)
{
    private static readonly TimeSpan OneYearAndADay = TimeSpan.FromDays(366);

    [Fact]
    public async Task After_twelve_months_the_conversations_messages_and_contact_are_deleted_but_the_day_statistics_still_count_it()
    {
        var tenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenant);
        var startedOn = cluster.Time.GetUtcNow();
        Assert.Single(await cluster.StoredMessages(tenant, chat.ConversationId));
        Assert.True((await cluster.StoredState<ConversationState>(chat.Conversation, "conversation")).Exists);

        cluster.Time.Advance(OneYearAndADay);
        await RetentionCluster.Eventually(async () => !(await chat.Conversation.GetRetention()).HoldsPersonalData, "the conversation expired");

        Assert.Empty(await cluster.StoredMessages(tenant, chat.ConversationId));
        Assert.False((await cluster.StoredState<ConversationState>(chat.Conversation, "conversation")).Exists);
        Assert.Null(await chat.Conversation.GetSummary());

        await RetentionCluster.Eventually(async () => (await cluster.Stats(tenant, cluster.Time.GetUtcNow())).Expired == 1, "the expiry was counted");
        var started = await cluster.Stats(tenant, startedOn);
        Assert.Equal(1, started.ConversationsStarted);
        Assert.Equal(1, started.VisitorMessages);

        var audit = await cluster.Audit(tenant, cluster.Time.GetUtcNow());
        Assert.Contains(audit, e => e.Action == AuditAction.ConversationExpired && e.Subject == AuditEntry.ConversationSubject(chat.ConversationId)
                                    && e.Actor == AuditEntry.RetentionActor);
        Chat.AssertNoPersonalData(audit);
    }

    [Fact]
    public async Task After_twelve_months_the_visitors_name_email_ip_user_agent_page_and_token_are_deleted_with_the_storage_row()
    {
        var tenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenant);
        var stored = await cluster.StoredState<VisitorState>(chat.Visitor, "visitor");
        Assert.Equal(Chat.Ip, stored.State.LastConnection.IpAddress);

        cluster.Time.Advance(OneYearAndADay);
        await RetentionCluster.Eventually(async () => await chat.Visitor.GetProfile() is null, "the visitor expired");

        Assert.False((await cluster.StoredState<VisitorState>(chat.Visitor, "visitor")).Exists);
        Assert.False(await chat.Visitor.Authenticate("any-secret", new(null, null, null)));
        var audit = await cluster.Audit(tenant, cluster.Time.GetUtcNow());
        Assert.Contains(audit, e => e.Action == AuditAction.VisitorExpired && e.Subject == AuditEntry.VisitorSubject(chat.VisitorId));
        Chat.AssertNoPersonalData(audit);
    }

    [Fact]
    public async Task New_activity_before_the_deadline_extends_it()
    {
        var tenant = await cluster.NewTenant(new RetentionPolicy(TimeSpan.FromDays(30)));
        var chat = await cluster.NewChat(tenant);

        cluster.Time.Advance(TimeSpan.FromDays(20));
        await chat.Conversation.Send(chat.Me, "m-2", "Any news?");
        var lastActivity = cluster.Time.GetUtcNow();
        cluster.Time.Advance(TimeSpan.FromDays(20)); // 40 days after the start, 20 after the last message

        await Task.Delay(TimeSpan.FromSeconds(2.5)); // two checks at least
        var status = await chat.Conversation.GetRetention();
        Assert.True(status.HoldsPersonalData);
        Assert.Equal(lastActivity + TimeSpan.FromDays(30), status.Deadline);
        Assert.Equal(2, (await cluster.StoredMessages(tenant, chat.ConversationId)).Count);

        cluster.Time.Advance(TimeSpan.FromDays(11));
        await RetentionCluster.Eventually(async () => !(await chat.Conversation.GetRetention()).HoldsPersonalData, "the extended deadline passed");
        Assert.Empty(await cluster.StoredMessages(tenant, chat.ConversationId));
    }

    [Fact]
    public async Task A_shorter_policy_reaches_existing_conversations_and_visitors_at_once()
    {
        var tenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenant);
        cluster.Time.Advance(TimeSpan.FromDays(40));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.True((await chat.Conversation.GetRetention()).HoldsPersonalData);

        await cluster.Grains.GetGrain<ITenantGrain>(tenant).SetRetentionPolicy(new RetentionPolicy(TimeSpan.FromDays(30)), AuditEntry.Agent("a_admin"));

        await RetentionCluster.Eventually(async () => !(await chat.Conversation.GetRetention()).HoldsPersonalData, "the conversation was re-evaluated");
        await RetentionCluster.Eventually(async () => await chat.Visitor.GetProfile() is null, "the visitor was re-evaluated");
        Assert.Empty(await cluster.StoredMessages(tenant, chat.ConversationId));
        var audit = await cluster.Audit(tenant, cluster.Time.GetUtcNow());
        Assert.Contains(audit, e => e.Action == AuditAction.RetentionPolicyChanged && e.Actor == "agent:a_admin");
    }

    [Fact]
    public async Task A_redacted_email_is_all_that_remains_when_the_tenant_enables_it()
    {
        var tenant = await cluster.NewTenant(new RetentionPolicy(TimeSpan.FromDays(30), KeepRedactedEmail: true));
        var chat = await cluster.NewChat(tenant);

        cluster.Time.Advance(TimeSpan.FromDays(31));
        await RetentionCluster.Eventually(async () => !(await chat.Conversation.GetRetention()).HoldsPersonalData, "the conversation expired");

        var (exists, state) = await cluster.StoredState<ConversationState>(chat.Conversation, "conversation");
        Assert.True(exists);
        Assert.Equal("j***@e***.com", state.RedactedEmail);
        Assert.Null(state.VisitorEmail);
        Assert.Null(state.VisitorName);
        Assert.Equal("", state.VisitorId);
        Assert.Empty(await cluster.StoredMessages(tenant, chat.ConversationId));
    }

    [Theory]
    [InlineData(0.5)]          // below the configured minimum (1 s here, 1 day in production)
    [InlineData(20 * 365 * 86400.0)] // above ten years
    public async Task A_retention_period_outside_the_bounds_is_refused(double seconds)
    {
        var tenant = await cluster.NewTenant();
        var error = await Assert.ThrowsAsync<ChatRuleException>(() => cluster.Grains.GetGrain<ITenantGrain>(tenant)
            .SetRetentionPolicy(new RetentionPolicy(TimeSpan.FromSeconds(seconds)), AuditEntry.Agent("a_admin")));
        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Equal(RetentionPolicy.DefaultPeriod, (await cluster.Grains.GetGrain<ITenantGrain>(tenant).GetRetentionRules()).Policy.Period);
    }
}
