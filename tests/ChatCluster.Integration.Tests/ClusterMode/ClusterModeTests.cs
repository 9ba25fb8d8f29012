using ChatCluster.Conversations;
using ChatCluster.Gateway.Tests;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;

namespace ChatCluster.Integration.Tests.ClusterMode;

/// <summary>Two silos on PostgreSQL, two gateways, Redis presence (C2, C3, C4, W6).</summary>
[Collection(ClusterModeCollection.Name)]
public sealed class ClusterModeTests(ClusterModeFixture cluster)
{
    [Fact]
    public async Task Visitor_on_gateway_A_and_agent_on_gateway_B_chat_both_ways_and_see_each_other_online()
    {
        await using var agent = await ChatClient.Connect(cluster.B.SocketUri, Encoding2.Json);
        await agent.HelloAgent(await cluster.OwnerToken(cluster.B));

        await using var visitor = await ChatClient.Connect(cluster.A.SocketUri, Encoding2.MessagePack);
        var welcome = await visitor.HelloVisitor(cluster.SiteKey);
        var visitorId = (string)welcome["visitorId"]!;

        // Presence crosses gateways through Redis, both ways (C4).
        await Wait.TeamStatus(visitor, "online");
        await Wait.Subject(agent, "visitor", visitorId, "online");

        var conversationId = await visitor.StartConversation(name: "Jo");
        var ack = await visitor.SendMessage(conversationId, "m-1", "Hello from gateway A");
        Assert.Equal(1, (long)ack["seq"]!);

        await agent.Send(new { type = "join", id = "j1", conversationId });
        var history = await agent.Next("history");
        Assert.Equal("Hello from gateway A", (string)history["messages"]![0]!["text"]!);

        await agent.SendMessage(conversationId, "a-1", "Hello from gateway B");
        var reply = await Wait.Message(visitor, 2);
        Assert.Equal("Hello from gateway B", (string)reply["text"]!);

        await visitor.SendMessage(conversationId, "m-2", "Thanks!");
        var forwarded = await Wait.Message(agent, 3);
        Assert.Equal("Thanks!", (string)forwarded["text"]!);

        await agent.Send(new { type = "presence", status = "away" });
        await Wait.TeamStatus(visitor, "away");
    }

    [Fact]
    public async Task Messages_and_state_are_rows_in_PostgreSQL_and_history_comes_back_after_the_conversation_is_deactivated()
    {
        await using var visitor = await ChatClient.Connect(cluster.A.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(cluster.SiteKey);
        var conversationId = await visitor.StartConversation();
        await visitor.SendMessage(conversationId, "m-1", "first");
        await visitor.SendMessage(conversationId, "m-2", "second");

        var messages = await Sql.ScalarAsync<long>(cluster.ConnectionString,
            "SELECT count(*) FROM conversation_messages WHERE tenant_id = @t AND conversation_id = @c",
            ("t", ClusterModeFixture.TenantId), ("c", conversationId));
        Assert.Equal(2, messages);
        var stateRows = await Sql.ScalarAsync<long>(cluster.ConnectionString,
            "SELECT count(*) FROM orleans_storage WHERE grain_id_extension = @key",
            ("key", GrainKeys.Scoped(ClusterModeFixture.TenantId, conversationId)));
        Assert.Equal(1, stateRows);

        // Deactivate every idle grain in the cluster, then check the conversation is really gone from memory.
        var grains = cluster.A.Services.GetRequiredService<IClusterClient>();
        var management = grains.GetGrain<IManagementGrain>(0);
        await Wait.Until(async () =>
        {
            await management.ForceActivationCollection(TimeSpan.Zero);
            var stats = await management.GetSimpleGrainStatistics();
            return !stats.Any(s => s.GrainType.Contains(nameof(Grains.Conversations.ConversationGrain), StringComparison.Ordinal) && s.ActivationCount > 0);
        }, "the conversation grains to deactivate");

        await visitor.Send(new { type = "resume", id = "r1", conversationId, afterSeq = 0 });
        var history = await visitor.Next("history");
        Assert.Equal(["first", "second"], history["messages"]!.AsArray().Select(m => (string)m!["text"]!));
        Assert.Equal([1L, 2L], history["messages"]!.AsArray().Select(m => (long)m!["seq"]!));

        var next = await visitor.SendMessage(conversationId, "m-3", "third");
        Assert.Equal(3, (long)next["seq"]!);
    }
}
