using ChatCluster.Conversations;
using ChatCluster.Routing;
using ChatCluster.Tenants;

namespace ChatCluster.Grains.Tests;

/// <summary>T3: round-robin routing to online agents under capacity, capacity freed at close, transfer.</summary>
[Collection(RetentionCollection.Name)]
public sealed class AssignmentTests(RetentionCluster cluster)
{
    private const string Gateway = "gw-test";

    private async Task<(string Tenant, AgentInfo Ann, AgentInfo Bob)> TeamOfTwo()
    {
        var tenant = await cluster.NewTenant();
        var tenantGrain = cluster.Grains.GetGrain<ITenantGrain>(tenant);
        var ann = await tenantGrain.AddAgent(new NewAgent($"ann@{tenant}.test", "Ann", AgentRole.Agent, "hash"));
        var bob = await tenantGrain.AddAgent(new NewAgent($"bob@{tenant}.test", "Bob", AgentRole.Agent, "hash"));
        return (tenant, ann, bob);
    }

    [Fact]
    public async Task New_conversations_go_round_robin_to_online_agents_until_their_capacity_is_full()
    {
        var (tenant, ann, bob) = await TeamOfTwo();
        var routing = cluster.Grains.GetGrain<IAgentRoutingGrain>(tenant);
        await routing.ReportGateway(Gateway, [new AgentAvailability(ann.AgentId, PresenceStatus.Online), new AgentAvailability(bob.AgentId, PresenceStatus.Online)]);
        await routing.SetCapacity(ann.AgentId, 1);
        await routing.SetCapacity(bob.AgentId, 2);

        var assigned = new List<string?>();
        for (var i = 0; i < 4; i++) assigned.Add((await (await cluster.NewChat(tenant)).Conversation.GetSummary())!.AssignedAgentId);

        Assert.Equal(1, assigned.Count(a => a == ann.AgentId));
        Assert.Equal(2, assigned.Count(a => a == bob.AgentId));
        Assert.Null(assigned[3]); // everyone is full: the fourth stays open ("leave a message")
        Assert.NotEqual(assigned[0], assigned[1]); // round robin, not "first agent until full"
    }

    [Fact]
    public async Task Closing_a_conversation_frees_capacity_for_the_next_one()
    {
        var (tenant, ann, _) = await TeamOfTwo();
        var routing = cluster.Grains.GetGrain<IAgentRoutingGrain>(tenant);
        await routing.SetAvailability(Gateway, ann.AgentId, PresenceStatus.Online);
        await routing.SetCapacity(ann.AgentId, 1);
        var first = await cluster.NewChat(tenant);
        Assert.Equal(ann.AgentId, (await first.Conversation.GetSummary())!.AssignedAgentId);
        Assert.Null((await (await cluster.NewChat(tenant)).Conversation.GetSummary())!.AssignedAgentId);

        await first.Conversation.Close(first.Me);
        await RetentionCluster.Eventually(async () => (await routing.GetLoads()).Single(l => l.AgentId == ann.AgentId).Assigned == 0, "capacity frees");

        Assert.Equal(ann.AgentId, (await (await cluster.NewChat(tenant)).Conversation.GetSummary())!.AssignedAgentId);
    }

    [Fact]
    public async Task Away_and_offline_agents_and_gateways_that_stopped_reporting_get_nothing()
    {
        var (tenant, ann, bob) = await TeamOfTwo();
        var routing = cluster.Grains.GetGrain<IAgentRoutingGrain>(tenant);
        await routing.SetAvailability(Gateway, ann.AgentId, PresenceStatus.Away);
        await routing.SetAvailability("gw-dead", bob.AgentId, PresenceStatus.Online);
        await routing.SetAvailability(Gateway, bob.AgentId, PresenceStatus.Offline);
        cluster.Time.Advance(RoutingLimits.GatewayReportTtl + TimeSpan.FromSeconds(1));

        var chat = await cluster.NewChat(tenant);

        var summary = (await chat.Conversation.GetSummary())!;
        Assert.Equal(ConversationStatus.Open, summary.Status);
        Assert.Null(summary.AssignedAgentId);
    }

    [Fact]
    public async Task An_agent_transfers_a_conversation_to_another_agent_of_the_tenant_only()
    {
        var (tenant, ann, bob) = await TeamOfTwo();
        var (otherTenant, stranger, _) = await TeamOfTwo();
        var chat = await cluster.NewChat(tenant);
        var annP = new Participant(ParticipantKind.Agent, ann.AgentId, "Ann");
        await chat.Conversation.Assign(annP);

        var moved = await chat.Conversation.Transfer(annP, bob.AgentId);
        Assert.Equal(bob.AgentId, moved.AssignedAgentId);
        Assert.Equal(ConversationStatus.Assigned, moved.Status);

        Assert.Equal(ErrorCodes.NotFound, (await Assert.ThrowsAsync<ChatRuleException>(() => chat.Conversation.Transfer(annP, stranger.AgentId))).Code);
        Assert.Equal(ErrorCodes.NotFound, (await Assert.ThrowsAsync<ChatRuleException>(() => chat.Conversation.Transfer(annP, chat.VisitorId))).Code);
        Assert.Equal(ErrorCodes.Forbidden, (await Assert.ThrowsAsync<ChatRuleException>(() => chat.Conversation.Transfer(chat.Me, ann.AgentId))).Code);
        await chat.Conversation.Close(annP);
        Assert.Equal(ErrorCodes.ConversationClosed, (await Assert.ThrowsAsync<ChatRuleException>(() => chat.Conversation.Transfer(annP, ann.AgentId))).Code);
        Assert.NotEqual(otherTenant, tenant);
    }
}
