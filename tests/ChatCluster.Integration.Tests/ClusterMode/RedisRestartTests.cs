using System.Diagnostics;
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
    /// <summary>The bar of C7 for presence: correct again within 2 s of Redis answering, without waiting for a heartbeat.</summary>
    private static readonly TimeSpan RecoveryBar = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task While_Redis_is_down_presence_is_unknown_rather_than_stale_and_it_is_correct_within_2_s_of_Redis_returning()
    {
        await using var agent = await ChatClient.Connect(cluster.B.SocketUri, Encoding2.Json);
        var agentId = (string)(await agent.HelloAgent(await cluster.OwnerToken(cluster.B)))["agentId"]!;
        await using var visitor = await ChatClient.Connect(cluster.A.SocketUri, Encoding2.Json);
        var visitorId = (string)(await visitor.HelloVisitor(cluster.SiteKey))["visitorId"]!;
        await Wait.TeamStatus(visitor, "online");
        await Wait.Subject(agent, "visitor", visitorId, "online");
        var conversationId = await visitor.StartConversation();
        await agent.Send(new { type = "join", id = "j1", conversationId });
        await agent.Next("history");

        await cluster.Redis.Kill();
        try
        {
            // Each gateway hears only itself now: what the other one reported may be stale, so it is unknown.
            await Wait.TeamStatus(visitor, "unknown", TimeSpan.FromSeconds(10));
            await Wait.Subject(agent, "visitor", visitorId, "unknown", TimeSpan.FromSeconds(10));

            // The agent's own status, known on its own gateway, stays online there.
            await using var sameGateway = await ChatClient.Connect(cluster.B.SocketUri, Encoding2.Json);
            await sameGateway.HelloAgent(await cluster.OwnerToken(cluster.B));
            await Wait.Subject(sameGateway, "agent", agentId, "online");

            // Chat goes on through Orleans.
            var ack = await visitor.SendMessage(conversationId, "m-1", "Is anyone there?");
            Assert.Equal("Is anyone there?", (string)(await Wait.Message(agent, (long)ack["seq"]!))["text"]!);
            var reply = await agent.SendMessage(conversationId, "a-1", "Yes, presence just can't tell you");
            Assert.Equal("Yes, presence just can't tell you", (string)(await Wait.Message(visitor, (long)reply["seq"]!))["text"]!);
        }
        finally
        {
            await cluster.Redis.Start(); // same port, empty
        }
        var back = Stopwatch.StartNew();

        await Wait.TeamStatus(visitor, "online", TimeSpan.FromSeconds(20));
        var team = back.Elapsed;
        await Wait.Subject(agent, "visitor", visitorId, "online", TimeSpan.FromSeconds(20));
        var subject = back.Elapsed;
        Assert.True(team <= RecoveryBar && subject <= RecoveryBar,
            $"presence correct again only after {team.TotalSeconds:0.00} s (team, for the visitor) and {subject.TotalSeconds:0.00} s (the visitor, for the agent); bar {RecoveryBar.TotalSeconds} s");
    }
}
