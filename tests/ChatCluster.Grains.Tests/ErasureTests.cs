using ChatCluster.Grains.Conversations;
using ChatCluster.Grains.Visitors;
using ChatCluster.Privacy;

namespace ChatCluster.Grains.Tests;

/// <summary>R5 erasure: immediate, every conversation plus the visitor, idempotent, tenant-scoped, blocked by holds.</summary>
[Collection(RetentionCollection.Name)]
public sealed class ErasureTests(RetentionCluster cluster)
{
    private const string Admin = "agent:a_admin";

    [Fact]
    public async Task Erasure_deletes_every_conversation_and_the_visitor_at_once_and_repeating_it_is_harmless()
    {
        var tenant = await cluster.NewTenant();
        var first = await cluster.NewChat(tenant);
        var second = await cluster.NewChat(tenant, first.VisitorId);
        var desk = cluster.Grains.GetGrain<IDataProtectionGrain>(tenant);

        var report = await desk.EraseVisitor(first.VisitorId, Admin);

        Assert.False(report.AlreadyErased);
        Assert.Equal(2, report.ConversationsErased);
        foreach (var chat in (Chat[])[first, second])
        {
            Assert.Empty(await cluster.StoredMessages(tenant, chat.ConversationId));
            Assert.False((await cluster.StoredState<ConversationState>(chat.Conversation, "conversation")).Exists);
        }
        Assert.Null(await first.Visitor.GetProfile());
        var visitorRow = (await cluster.StoredState<VisitorState>(first.Visitor, "visitor")).State;
        Assert.Null(visitorRow.Name);
        Assert.Null(visitorRow.Email);
        Assert.Null(visitorRow.LastConnection.IpAddress);
        Assert.Null(visitorRow.LastConnection.UserAgent);
        Assert.Null(visitorRow.LastConnection.PageUrl);
        Assert.Equal("", visitorRow.TokenHash);

        var again = await desk.EraseVisitor(first.VisitorId, Admin);
        Assert.True(again.AlreadyErased);
        Assert.Equal(0, again.ConversationsErased);

        var today = cluster.Time.GetUtcNow();
        await RetentionCluster.Eventually(async () => (await cluster.Stats(tenant, today)).Erased == 2, "the erasures were counted");
        Assert.Equal(2, (await cluster.Stats(tenant, today)).ConversationsStarted);
        var audit = await cluster.Audit(tenant, today);
        Assert.Single(audit, e => e.Action == AuditAction.VisitorErased);
        Assert.Equal(2, audit.Count(e => e.Action == AuditAction.ConversationErased));
        Chat.AssertNoPersonalData(audit);
    }

    [Fact]
    public async Task Erasure_of_data_under_a_hold_is_refused_and_deletes_nothing()
    {
        var tenant = await cluster.NewTenant();
        var first = await cluster.NewChat(tenant);
        var held = await cluster.NewChat(tenant, first.VisitorId);
        var desk = cluster.Grains.GetGrain<IDataProtectionGrain>(tenant);
        await desk.PlaceHold(HoldScope.Conversation, held.ConversationId, "Chargeback dispute", Admin);

        var error = await Assert.ThrowsAsync<ChatRuleException>(() => desk.EraseVisitor(first.VisitorId, Admin));

        Assert.Equal(ErrorCodes.Conflict, error.Code);
        Assert.Contains("legal hold", error.Message);
        Assert.Single(await cluster.StoredMessages(tenant, first.ConversationId));
        Assert.Single(await cluster.StoredMessages(tenant, held.ConversationId));
        Assert.NotNull(await first.Visitor.GetProfile());
    }

    [Fact]
    public async Task Erasure_names_only_visitors_of_the_callers_own_tenant()
    {
        var victimTenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(victimTenant);
        var otherTenant = await cluster.NewTenant();

        var error = await Assert.ThrowsAsync<ChatRuleException>(() =>
            cluster.Grains.GetGrain<IDataProtectionGrain>(otherTenant).EraseVisitor(chat.VisitorId, Admin));

        Assert.Equal(ErrorCodes.NotFound, error.Code);
        Assert.NotNull(await chat.Visitor.GetProfile());
        Assert.Single(await cluster.StoredMessages(victimTenant, chat.ConversationId));
    }
}
