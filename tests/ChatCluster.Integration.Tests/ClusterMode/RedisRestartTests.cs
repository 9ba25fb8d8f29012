using ChatCluster.Gateway.Tests;
using StackExchange.Redis;

namespace ChatCluster.Integration.Tests.ClusterMode;

/// <summary>Redis is only for presence: its loss degrades presence, never chat, and gateways recover by themselves (C4).</summary>
[Collection(ClusterModeCollection.Name)]
public sealed class RedisRestartTests(ClusterModeFixture cluster)
{
    [Fact]
    public async Task Chat_continues_while_Redis_is_down_and_presence_recovers_after_a_restart_without_restarting_gateways()
    {
        await using var agent = await ChatClient.Connect(cluster.B.SocketUri, Encoding2.Json);
        await agent.HelloAgent(await cluster.OwnerToken(cluster.B));
        await using var visitor = await ChatClient.Connect(cluster.A.SocketUri, Encoding2.Json);
        var visitorId = (string)(await visitor.HelloVisitor(cluster.SiteKey))["visitorId"]!;
        await Wait.TeamStatus(visitor, "online");
        var conversationId = await visitor.StartConversation();
        await agent.Send(new { type = "join", id = "j1", conversationId });
        await agent.Next("history");

        await cluster.Redis.Kill();
        try
        {
            // Chat goes through Orleans, not Redis: both directions still work.
            var ack = await visitor.SendMessage(conversationId, "m-1", "Is Redis down?");
            Assert.Equal("Is Redis down?", (string)(await Wait.Message(agent, (long)ack["seq"]!))["text"]!);
            var reply = await agent.SendMessage(conversationId, "a-1", "Chat does not care");
            Assert.Equal("Chat does not care", (string)(await Wait.Message(visitor, (long)reply["seq"]!))["text"]!);

            // Presence changes during the outage stay local to the gateway and do not fail the socket.
            await agent.Send(new { type = "presence", id = "p1", status = "away" });
            await Task.Delay(500);
            Assert.DoesNotContain(agent.Drain(), f => (string?)f["type"] == "error");
        }
        finally
        {
            await cluster.Redis.Start(); // same port, empty: everything Redis held is gone
        }

        // Both gateways republish their presence into the empty Redis by themselves...
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.ConnectionString);
        var db = redis.GetDatabase();
        await Wait.Until(async () => await db.SortedSetLengthAsync($"chatcluster:presence:{ClusterModeFixture.TenantId}:gateways") == 2,
            "both gateways to republish their presence");
        await Wait.Until(async () =>
        {
            foreach (var gateway in await db.SortedSetRangeByRankAsync($"chatcluster:presence:{ClusterModeFixture.TenantId}:gateways"))
                if (await db.HashExistsAsync($"chatcluster:presence:{ClusterModeFixture.TenantId}:gateway:{gateway}", $"visitor:{visitorId}")) return true;
            return false;
        }, "the visitor's presence to be back in Redis");

        // ...the away chosen during the outage reaches the other gateway, and live changes flow again (resubscribed).
        await Wait.TeamStatus(visitor, "away");
        await agent.Send(new { type = "presence", id = "p2", status = "online" });
        await Wait.TeamStatus(visitor, "online");

        // A newcomer on gateway B sees the visitor connected to gateway A.
        await using var second = await ChatClient.Connect(cluster.B.SocketUri, Encoding2.Json);
        await second.HelloAgent(await cluster.OwnerToken(cluster.B));
        await Wait.Subject(second, "visitor", visitorId, "online");
    }
}
