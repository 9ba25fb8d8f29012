using ChatCluster.Privacy;

namespace ChatCluster.Grains.Tests;

/// <summary>R4: held data outlives its deadline; lifting the hold applies the normal rules at once.</summary>
[Collection(RetentionCollection.Name)]
public sealed class LegalHoldTests(RetentionCluster cluster)
{
    private const string Admin = "agent:a_admin";

    [Fact]
    public async Task A_held_conversation_survives_its_deadline_and_lifting_the_hold_deletes_it_at_once()
    {
        var tenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenant);
        var desk = cluster.Grains.GetGrain<IDataProtectionGrain>(tenant);
        await desk.PlaceHold(HoldScope.Conversation, chat.ConversationId, "Litigation ref 2025-17", Admin);

        cluster.Time.Advance(TimeSpan.FromDays(366));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.True((await chat.Conversation.GetRetention()).HoldsPersonalData);
        Assert.Single(await cluster.StoredMessages(tenant, chat.ConversationId));
        Assert.NotNull(await chat.Visitor.GetProfile()); // the visitor stays while a conversation of theirs is held

        var lifted = await desk.LiftHold(HoldScope.Conversation, chat.ConversationId, Admin);

        Assert.False(lifted.HoldsPersonalData);
        Assert.Empty(await cluster.StoredMessages(tenant, chat.ConversationId));
        await RetentionCluster.Eventually(async () => await chat.Visitor.GetProfile() is null, "the visitor followed");
        var audit = await cluster.Audit(tenant, cluster.Time.GetUtcNow());
        Assert.Contains(audit, e => e.Action == AuditAction.HoldLifted && e.Subject == AuditEntry.ConversationSubject(chat.ConversationId));
        Assert.DoesNotContain(audit, e => e.Detail?.Contains("Litigation") == true); // the free-text reason stays with the hold
    }

    [Fact]
    public async Task A_tenant_hold_keeps_every_conversation_and_visitor_until_it_is_lifted()
    {
        var tenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenant);
        var desk = cluster.Grains.GetGrain<IDataProtectionGrain>(tenant);
        await desk.PlaceHold(HoldScope.Tenant, null, "Regulator inquiry", Admin);

        cluster.Time.Advance(TimeSpan.FromDays(366));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.True((await chat.Conversation.GetRetention()).UnderTenantHold);
        Assert.NotNull(await chat.Visitor.GetProfile());

        await desk.LiftHold(HoldScope.Tenant, null, Admin);

        await RetentionCluster.Eventually(async () => !(await chat.Conversation.GetRetention()).HoldsPersonalData, "the conversation was deleted");
        await RetentionCluster.Eventually(async () => await chat.Visitor.GetProfile() is null, "the visitor was deleted");
        Assert.Empty(await cluster.StoredMessages(tenant, chat.ConversationId));
    }

    [Fact]
    public async Task A_visitor_hold_keeps_the_visitors_conversations_and_their_mail_until_it_is_lifted()
    {
        var tenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenant);
        await chat.Conversation.Close(chat.Me); // the transcript is mailed: a copy held about the person
        Assert.Contains(cluster.Mail.Sent, m => m.TenantId == tenant && m.SubjectId == chat.ConversationId);
        var desk = cluster.Grains.GetGrain<IDataProtectionGrain>(tenant);
        await desk.PlaceHold(HoldScope.Visitor, chat.VisitorId, "Case 2025-31", Admin);
        var later = await cluster.NewChat(tenant, chat.VisitorId); // a conversation started under the hold is held too

        cluster.Time.Advance(TimeSpan.FromDays(366));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.True((await chat.Conversation.GetRetention()).UnderVisitorHold);
        Assert.Single(await cluster.StoredMessages(tenant, chat.ConversationId));
        Assert.Single(await cluster.StoredMessages(tenant, later.ConversationId));
        Assert.Contains(cluster.Mail.Sent, m => m.TenantId == tenant && m.SubjectId == chat.ConversationId);
        var export = await desk.ExportVisitor(chat.VisitorId, Admin);
        Assert.Equal(2, export.Conversations.Count);
        Assert.Contains(export.Conversations, c => c.Messages.Any(m => m.Text == Chat.Text));

        await desk.LiftHold(HoldScope.Visitor, chat.VisitorId, Admin);

        Assert.False((await chat.Conversation.GetRetention()).HoldsPersonalData);
        Assert.False((await later.Conversation.GetRetention()).HoldsPersonalData);
        Assert.Empty(await cluster.StoredMessages(tenant, chat.ConversationId));
        Assert.DoesNotContain(cluster.Mail.Sent, m => m.TenantId == tenant && m.SubjectId == chat.ConversationId);
        await RetentionCluster.Eventually(async () => await chat.Visitor.GetProfile() is null, "the visitor followed");
    }
}
