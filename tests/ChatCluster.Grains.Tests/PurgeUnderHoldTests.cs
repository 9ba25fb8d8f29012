using ChatCluster.Grains.Conversations;
using ChatCluster.Grains.Privacy;
using ChatCluster.Grains.Visitors;
using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Grains.Tests;

/// <summary>
/// R3 with R4: at the purge date a closed account loses everything that is not held, keeps exactly what is, says so in
/// its closure status, and finishes the purge the moment the last hold is lifted — leaving only a closure record (R7).
/// </summary>
[Collection(RetentionCollection.Name)]
public sealed class PurgeUnderHoldTests(RetentionCluster cluster)
{
    private static readonly TimeSpan Grace = TimeSpan.FromDays(30);
    private const string Operator = "operator";

    [Fact]
    public async Task A_purge_deletes_what_is_not_held_keeps_the_held_conversation_and_finishes_when_the_hold_is_lifted()
    {
        var tenantId = await cluster.NewTenant();
        var tenant = cluster.Grains.GetGrain<ITenantGrain>(tenantId);
        var desk = cluster.Grains.GetGrain<IDataProtectionGrain>(tenantId);
        var held = await cluster.NewChat(tenantId);
        var unheld = await cluster.NewChat(tenantId);
        await unheld.Conversation.Close(unheld.Me); // its transcript is mailed
        Assert.Contains(cluster.Mail.Sent, m => m.SubjectId == unheld.ConversationId);
        await desk.PlaceHold(HoldScope.Conversation, held.ConversationId, "Case 7", AuditEntry.Agent("a_owner"));
        var erasedEarlier = await cluster.NewChat(tenantId);
        await desk.EraseVisitor(erasedEarlier.VisitorId, AuditEntry.Agent("a_owner"));
        Assert.NotNull((await erasedEarlier.Visitor.GetRetention()).ErasedAt); // the erased visitor's tombstone

        await tenant.Close(AuditEntry.Agent("a_owner"));
        cluster.Time.Advance(Grace);

        await RetentionCluster.Eventually(async () => (await tenant.GetClosure())?.HeldSubjects is { Count: > 0 }, "the purge ran");
        var closure = (await tenant.GetClosure())!;
        Assert.True(closure.Held);
        Assert.Equal([AuditEntry.ConversationSubject(held.ConversationId), AuditEntry.VisitorSubject(held.VisitorId)], closure.HeldSubjects);
        // Everything not held is gone: the other chat, its mail, the tombstone, the team.
        Assert.Empty(await cluster.StoredMessages(tenantId, unheld.ConversationId));
        Assert.False((await cluster.StoredState<ConversationState>(unheld.Conversation, "conversation")).Exists);
        Assert.DoesNotContain(cluster.Mail.Sent, m => m.SubjectId == unheld.ConversationId);
        Assert.False((await cluster.StoredState<VisitorState>(erasedEarlier.Visitor, "visitor")).Exists);
        Assert.Null((await erasedEarlier.Visitor.GetRetention()).ErasedAt);
        Assert.Empty(await tenant.ListAgents());
        // The held conversation is kept whole, with the visitor it belongs to.
        Assert.Single(await cluster.StoredMessages(tenantId, held.ConversationId));
        Assert.NotNull(await held.Visitor.GetProfile());
        Assert.Null(await tenant.GetClosureRecord());
        await Assert.ThrowsAsync<ChatRuleException>(() => tenant.Reopen(Operator));

        // Further checks do not fail and do not delete the held data.
        await Task.Delay(2500);
        Assert.Single(await cluster.StoredMessages(tenantId, held.ConversationId));

        await desk.LiftHold(HoldScope.Conversation, held.ConversationId, Operator);

        await RetentionCluster.Eventually(async () => await tenant.GetInfo() is null, "the purge finished once the hold was lifted");
        Assert.Empty(await cluster.StoredMessages(tenantId, held.ConversationId));
        Assert.Null(await held.Visitor.GetProfile());
        Assert.False((await cluster.StoredState<VisitorState>(held.Visitor, "visitor")).Exists);
        Assert.Empty(await cluster.Grains.GetGrain<IRetentionRegistryGrain>(tenantId).List());
        var record = await tenant.GetClosureRecord();
        Assert.NotNull(record);
        Assert.Equal(2, record.HeldAtPurge);
        Assert.True(record.ConversationsErased >= 2);
        Assert.True(record.PurgedAt >= record.PurgeStartedAt);
    }

    [Fact]
    public async Task An_expired_conversations_redacted_email_goes_with_the_account()
    {
        var tenantId = await cluster.NewTenant(new RetentionPolicy(TimeSpan.FromDays(2), KeepRedactedEmail: true));
        var tenant = cluster.Grains.GetGrain<ITenantGrain>(tenantId);
        var chat = await cluster.NewChat(tenantId);
        cluster.Time.Advance(TimeSpan.FromDays(3));
        await RetentionCluster.Eventually(async () => (await cluster.StoredState<ConversationState>(chat.Conversation, "conversation")).State.RedactedEmail is not null,
            "the conversation expired to its redacted email");

        await tenant.Close(Operator);
        cluster.Time.Advance(Grace);

        await RetentionCluster.Eventually(async () => await tenant.GetInfo() is null, "the tenant was purged");
        Assert.False((await cluster.StoredState<ConversationState>(chat.Conversation, "conversation")).Exists);
    }
}
