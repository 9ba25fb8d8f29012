using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ConversationTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData(Encoding2.Json)]
    [InlineData(Encoding2.MessagePack)]
    public async Task Visitor_and_agent_hold_a_conversation_both_ways(Encoding2 encoding)
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, encoding);
        var welcome = await visitor.HelloVisitor(gateway.SiteKey);
        Assert.StartsWith((string)welcome["visitorId"]!, (string)welcome["visitorToken"]!);
        var conversationId = await visitor.StartConversation(name: "Jo", email: "jo@example.com");

        var ack = await visitor.SendMessage(conversationId, "m-1", "Hello, is anyone there?");
        Assert.Equal(1, (long)ack["seq"]!);

        await using var agent = await ChatClient.Connect(gateway.SocketUri, encoding);
        await agent.HelloAgent(await gateway.AgentToken());
        await agent.Send(new { type = "join", id = "j1", conversationId });
        var history = await agent.Next("history");
        Assert.Equal("Hello, is anyone there?", (string)history["messages"]![0]!["text"]!);

        var agentAck = await agent.SendMessage(conversationId, "a-1", "Yes! How can I help?");
        Assert.Equal(2, (long)agentAck["seq"]!);

        var reply = await NextMessage(visitor, seq: 2);
        Assert.Equal("Yes! How can I help?", (string)reply["text"]!);
        Assert.Equal("agent", (string)reply["sender"]!["kind"]!);

        await visitor.SendMessage(conversationId, "m-2", "I need a bigger size");
        var forwarded = await NextMessage(agent, seq: 3);
        Assert.Equal("I need a bigger size", (string)forwarded["text"]!);
    }

    [Fact]
    public async Task Typing_and_read_receipts_reach_the_other_side()
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(gateway.SiteKey);
        var conversationId = await visitor.StartConversation();
        await visitor.SendMessage(conversationId, "m-1", "hi");

        await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.MessagePack);
        await agent.HelloAgent(await gateway.AgentToken());
        await agent.Send(new { type = "join", conversationId });
        await agent.Next("history");

        await visitor.Send(new { type = "typing", conversationId, isTyping = true });
        var typing = await agent.Next("typing");
        Assert.True((bool)typing["isTyping"]!);
        Assert.Equal("visitor", (string)typing["from"]!["kind"]!);

        await agent.Send(new { type = "read", conversationId, seq = 1 });
        var read = await visitor.Next("read");
        Assert.Equal(1, (long)read["seq"]!);
        Assert.Equal("agent", (string)read["reader"]!["kind"]!);
    }

    [Theory]
    [InlineData(Encoding2.Json)]
    [InlineData(Encoding2.MessagePack)]
    public async Task Resume_after_reconnect_returns_exactly_the_missed_messages_in_order(Encoding2 encoding)
    {
        string token, conversationId;
        await using (var first = await ChatClient.Connect(gateway.SocketUri, encoding))
        {
            var welcome = await first.HelloVisitor(gateway.SiteKey);
            token = (string)welcome["visitorToken"]!;
            conversationId = await first.StartConversation();
            await first.SendMessage(conversationId, "m-1", "one");
            await first.SendMessage(conversationId, "m-2", "two");
        }

        await using var agent = await ChatClient.Connect(gateway.SocketUri, encoding);
        await agent.HelloAgent(await gateway.AgentToken());
        await agent.Send(new { type = "join", conversationId });
        await agent.Next("history");
        for (var i = 3; i <= 7; i++) await agent.SendMessage(conversationId, $"a-{i}", $"missed {i}");

        await using var again = await ChatClient.Connect(gateway.SocketUri, encoding);
        var rewelcome = await again.HelloVisitor(gateway.SiteKey, token);
        Assert.Null(rewelcome["visitorToken"]); // the same visitor: no new token
        Assert.Contains(rewelcome["conversations"]!.AsArray(), c => (string)c!["conversationId"]! == conversationId);

        await again.Send(new { type = "resume", id = "r1", conversationId, afterSeq = 2 });
        var history = await again.Next("history");
        var seqs = history["messages"]!.AsArray().Select(m => (long)m!["seq"]!).ToList();
        Assert.Equal([3, 4, 5, 6, 7], seqs);

        // Live again: the next message arrives once, and nothing before it is repeated.
        await agent.SendMessage(conversationId, "a-8", "live");
        var live = await NextMessage(again, seq: 8);
        Assert.Equal("live", (string)live["text"]!);
        await Task.Delay(300);
        var repeats = again.Seen.Where(f => (string?)f["type"] == "message").Select(f => (long)f["seq"]!).ToList();
        Assert.Equal([8], repeats);
    }

    [Theory]
    [InlineData(Encoding2.Json)]
    [InlineData(Encoding2.MessagePack)]
    public async Task A_duplicate_client_message_id_does_not_duplicate(Encoding2 encoding)
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, encoding);
        await visitor.HelloVisitor(gateway.SiteKey);
        var conversationId = await visitor.StartConversation();

        var first = await visitor.SendMessage(conversationId, "same-id", "hello once");
        var second = await visitor.SendMessage(conversationId, "same-id", "hello once");
        Assert.Equal((long)first["seq"]!, (long)second["seq"]!);
        Assert.False((bool)first["duplicate"]!);
        Assert.True((bool)second["duplicate"]!);

        await visitor.Send(new { type = "resume", conversationId, afterSeq = 0 });
        var history = await visitor.Next("history");
        Assert.Single(history["messages"]!.AsArray());
    }

    [Fact]
    public async Task The_agent_inbox_lists_a_new_conversation_live_and_over_http()
    {
        await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var token = await gateway.AgentToken();
        await agent.HelloAgent(token);

        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(gateway.SiteKey);
        var conversationId = await visitor.StartConversation(name: "Inbox Test");

        JsonObject update;
        do update = await agent.Next("conversation");
        while ((string)update["conversation"]!["conversationId"]! != conversationId);
        // Open, or already routed to an online agent under capacity (T3): either way it is live in the inbox.
        Assert.NotEqual("closed", (string)update["conversation"]!["status"]!);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/inbox");
        request.Headers.Authorization = new("Bearer", token);
        var inbox = JsonNode.Parse(await (await gateway.Http.SendAsync(request)).Content.ReadAsStringAsync())!.AsArray();
        Assert.Contains(inbox, c => (string)c!["conversationId"]! == conversationId);
    }

    [Fact]
    public async Task Closing_a_conversation_tells_the_visitor_and_refuses_further_messages()
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(gateway.SiteKey);
        var conversationId = await visitor.StartConversation();

        await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await agent.HelloAgent(await gateway.AgentToken());
        await agent.Send(new { type = "join", conversationId });
        await agent.Next("history");
        await agent.Send(new { type = "close", conversationId });

        JsonObject status;
        do status = await visitor.Next("conversation");
        while ((string)status["conversation"]!["status"]! != "closed");

        await visitor.Send(new { type = "send", id = "late", conversationId, clientMessageId = "late", text = "too late" });
        var error = await visitor.Next("error");
        Assert.Equal("conversation_closed", (string)error["code"]!);
        Assert.Equal("late", (string)error["id"]!);
    }

    [Fact]
    public async Task Visitors_see_the_team_come_online()
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(gateway.SiteKey);
        await visitor.Next("presence");

        await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await agent.HelloAgent(await gateway.AgentToken());
        JsonObject presence;
        do presence = await visitor.Next("presence");
        while ((string)presence["status"]! != "online");
        Assert.Equal("team", (string)presence["scope"]!);
    }

    internal static async Task<JsonObject> NextMessage(ChatClient client, long seq)
    {
        while (true)
        {
            var message = await client.Next("message");
            if ((long)message["seq"]! == seq) return message;
        }
    }
}

[Collection(GatewayCollection.Name)]
public sealed class ConnectionLifecycleTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_client_close_is_answered_with_the_same_code()
    {
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.AddSubProtocol("chatcluster.v1.json");
        await socket.ConnectAsync(gateway.SocketUri, CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Closed, socket.State);
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task Resuming_from_beyond_the_last_message_still_delivers_every_new_message()
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(gateway.SiteKey);
        var conversationId = await visitor.StartConversation();

        await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await agent.HelloAgent(await gateway.AgentToken());
        await agent.Send(new { type = "join", conversationId, afterSeq = 5 }); // claims to have seen 5 of 0
        Assert.Empty((await agent.Next("history"))["messages"]!.AsArray());

        await visitor.SendMessage(conversationId, "m-1", "first");
        Assert.Equal("first", (string)(await ConversationTests.NextMessage(agent, seq: 1))["text"]!);
    }

    [Fact]
    public async Task Closing_replies_with_the_request_id()
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(gateway.SiteKey);
        var conversationId = await visitor.StartConversation();
        await visitor.Send(new { type = "close", id = "bye-1", conversationId });
        System.Text.Json.Nodes.JsonObject reply;
        do reply = await visitor.Next("conversation");
        while ((string?)reply["id"] != "bye-1");
        Assert.Equal("closed", (string)reply["conversation"]!["status"]!);
    }
}
