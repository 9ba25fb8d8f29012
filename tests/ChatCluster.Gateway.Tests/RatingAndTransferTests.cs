using System.Net;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>The rate and transfer frames (docs/protocol.md), good and bad input, and routing over real sockets.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RatingAndTransferTests(GatewayFixture gateway)
{
    private async Task<(ChatClient Visitor, string ConversationId)> ClosedConversation()
    {
        var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(gateway.SiteKey);
        var conversationId = await visitor.StartConversation();
        await visitor.SendMessage(conversationId, "m-1", "thanks, bye");
        await visitor.Send(new { type = "close", id = "c1", conversationId });
        await visitor.Next("conversation");
        return (visitor, conversationId);
    }

    [Theory]
    [InlineData(Encoding2.Json)]
    [InlineData(Encoding2.MessagePack)]
    public async Task A_visitor_rates_a_closed_conversation_once(Encoding2 encoding)
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, encoding);
        await visitor.HelloVisitor(gateway.SiteKey);
        var conversationId = await visitor.StartConversation();
        await visitor.Send(new { type = "close", conversationId });
        await visitor.Next("conversation");

        await visitor.Send(new { type = "rate", id = "r1", conversationId, score = 5, comment = "Great help" });
        var rated = await visitor.Next("rated");
        Assert.Equal("r1", (string?)rated["id"]);
        Assert.Equal(conversationId, (string?)rated["conversationId"]);
        Assert.Equal(5, (int)rated["score"]!);

        await visitor.Send(new { type = "rate", id = "r2", conversationId, score = 1 });
        var again = await visitor.Next("error");
        Assert.Equal(("r2", "conflict"), ((string?)again["id"], (string?)again["code"]));
    }

    [Theory]
    [InlineData("{\"type\":\"rate\",\"id\":\"x\",\"conversationId\":\"CID\",\"score\":0}", "invalid_request")]
    [InlineData("{\"type\":\"rate\",\"id\":\"x\",\"conversationId\":\"CID\",\"score\":6}", "invalid_request")]
    [InlineData("{\"type\":\"rate\",\"id\":\"x\",\"conversationId\":\"CID\"}", "missing_field")]
    [InlineData("{\"type\":\"rate\",\"id\":\"x\",\"conversationId\":\"CID\",\"score\":\"five\"}", "malformed_frame")]
    [InlineData("{\"type\":\"rate\",\"id\":\"x\",\"conversationId\":\"c_nosuchconversation\",\"score\":3}", "not_found")]
    public async Task Bad_ratings_get_a_clear_error(string frame, string code)
    {
        var (visitor, conversationId) = await ClosedConversation();
        await using var _ = visitor;
        await visitor.SendNode(JsonNode.Parse(frame.Replace("CID", conversationId))!.AsObject());
        var error = await visitor.Next("error");
        Assert.Equal(("x", code), ((string?)error["id"], (string?)error["code"]));
    }

    [Fact]
    public async Task An_open_conversation_or_someone_elses_cannot_be_rated()
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(gateway.SiteKey);
        var open = await visitor.StartConversation();
        await visitor.Send(new { type = "rate", id = "o", conversationId = open, score = 4 });
        Assert.Equal("invalid_request", (string?)(await visitor.Next("error"))["code"]);

        var (owner, closed) = await ClosedConversation();
        await using var _ = owner;
        await visitor.Send(new { type = "rate", id = "s", conversationId = closed, score = 4 });
        Assert.Equal("not_found", (string?)(await visitor.Next("error"))["code"]);

        await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await agent.HelloAgent(await gateway.AgentToken());
        await agent.Send(new { type = "rate", id = "a", conversationId = closed, score = 4 });
        Assert.Equal("forbidden", (string?)(await agent.Next("error"))["code"]);
    }

    [Fact]
    public async Task Transfer_moves_a_conversation_to_another_agent_of_the_tenant_only()
    {
        var (tenantId, siteKey, ownerToken) = await gateway.FreshTenant("xfer");
        var added = await (await gateway.Call(HttpMethod.Post, "/api/agents", ownerToken,
            new { email = $"sam@{tenantId}.test", password = "sam-password-1", displayName = "Sam" })).Json(HttpStatusCode.Created);
        var samId = (string)added["agentId"]!;
        var (_, _, strangerToken) = await gateway.FreshTenant("xfer-other");
        var strangerId = (string)(await (await gateway.Call(HttpMethod.Get, "/api/me", strangerToken)).Json())["agentId"]!;

        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var welcome = await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation();
        await using var owner = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await owner.HelloAgent(ownerToken);

        await owner.Send(new { type = "transfer", id = "t1", conversationId, toAgentId = samId });
        JsonObject moved;
        do moved = await owner.Next("conversation"); // inbox snapshots (no id) may come first
        while ((string?)moved["id"] != "t1");
        Assert.Equal(samId, (string?)moved["conversation"]!["assignedAgentId"]);

        foreach (var (target, id) in new[] { (strangerId, "t2"), ((string)welcome["visitorId"]!, "t3"), ("a_nosuchagent", "t4") })
        {
            await owner.Send(new { type = "transfer", id, conversationId, toAgentId = target });
            JsonObject error;
            do error = await owner.Next("error");
            while ((string?)error["id"] != id);
            Assert.Equal("not_found", (string?)error["code"]);
        }
        await owner.Send(new { type = "transfer", id = "t5", conversationId });
        Assert.Equal("missing_field", (string?)(await owner.Next("error"))["code"]);

        await visitor.Send(new { type = "transfer", id = "v1", conversationId, toAgentId = samId });
        Assert.Equal("forbidden", (string?)(await visitor.Next("error"))["code"]);

        // Another tenant's agent cannot move this tenant's conversation: the id is unknown in their tenant.
        await using var stranger = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await stranger.HelloAgent(strangerToken);
        await stranger.Send(new { type = "transfer", id = "x1", conversationId, toAgentId = strangerId });
        Assert.Equal("not_found", (string?)(await stranger.Next("error"))["code"]);
    }

    [Fact]
    public async Task A_new_conversation_is_routed_to_an_online_agent_and_stays_open_when_nobody_is_online()
    {
        var (_, siteKey, ownerToken) = await gateway.FreshTenant("route");
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        await visitor.Send(new { type = "start", id = "s0" });
        Assert.Equal("open", (string?)(await visitor.Next("started"))["conversation"]!["status"]);

        await using (var owner = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json))
        {
            var me = (string)(await owner.HelloAgent(ownerToken))["agentId"]!;
            await visitor.Send(new { type = "start", id = "s1" });
            var started = (await visitor.Next("started"))["conversation"]!;
            Assert.Equal(("assigned", me), ((string?)started["status"], (string?)started["assignedAgentId"]));

            await owner.Send(new { type = "presence", status = "away" });
            await Task.Delay(200);
            await visitor.Send(new { type = "start", id = "s2" });
            Assert.Equal("open", (string?)(await visitor.Next("started"))["conversation"]!["status"]);

            var loads = await (await gateway.Call(HttpMethod.Put, $"/api/agents/{me}/capacity", ownerToken, new { capacity = 7 })).Json();
            Assert.Equal(7, (int)loads["capacity"]!);
            Assert.Equal(1, (int)loads["assigned"]!);
        }
    }

    [Fact]
    public async Task Capacity_is_admin_only_and_validated()
    {
        var (tenantId, _, ownerToken) = await gateway.FreshTenant("cap");
        var (_, agentToken) = await gateway.PlainAgent(tenantId, ownerToken);
        var me = (string)(await (await gateway.Call(HttpMethod.Get, "/api/me", ownerToken)).Json())["agentId"]!;
        await (await gateway.Call(HttpMethod.Put, $"/api/agents/{me}/capacity", ownerToken, new { capacity = -1 })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await gateway.Call(HttpMethod.Put, "/api/agents/a_nosuchagent/capacity", ownerToken, new { capacity = 2 })).AssertProblem(HttpStatusCode.NotFound, "not_found");
        await (await gateway.Call(HttpMethod.Put, $"/api/agents/{me}/capacity", agentToken, new { capacity = 2 })).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
    }
}
