using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>S2: every kind of bad frame gets a typed error; the connection stays usable or closes with a documented code.</summary>
[Collection(GatewayCollection.Name)]
public sealed class BadInputTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Malformed_json_gets_an_error_and_the_connection_stays_usable()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await client.SendRaw(Encoding.UTF8.GetBytes("{\"type\": \"hello\", "), WebSocketMessageType.Text);
        Assert.Equal("malformed_frame", (string)(await client.Next("error"))["code"]!);

        await client.SendRaw(Encoding.UTF8.GetBytes("[1,2,3]"), WebSocketMessageType.Text);
        Assert.Equal("malformed_frame", (string)(await client.Next("error"))["code"]!);

        await AssertUsable(client);
    }

    [Fact]
    public async Task Invalid_messagepack_gets_an_error_and_the_connection_stays_usable()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.MessagePack);
        await client.SendRaw([0xc1, 0x00, 0xff], WebSocketMessageType.Binary); // 0xc1 is never used in MessagePack
        Assert.Equal("malformed_frame", (string)(await client.Next("error"))["code"]!);

        await client.SendRaw([0x81, 0xa4, (byte)'t', (byte)'y', (byte)'p', (byte)'e'], WebSocketMessageType.Binary); // map cut short
        Assert.Equal("malformed_frame", (string)(await client.Next("error"))["code"]!);

        await AssertUsable(client);
    }

    [Fact]
    public async Task A_text_frame_on_a_messagepack_connection_is_refused()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.MessagePack);
        await client.SendRaw(Encoding.UTF8.GetBytes("{\"type\":\"ping\"}"), WebSocketMessageType.Text);
        var error = await client.Next("error");
        Assert.Equal("malformed_frame", (string)error["code"]!);
        Assert.Contains("msgpack", (string)error["message"]!);
        await AssertUsable(client);
    }

    [Theory]
    [InlineData(Encoding2.Json)]
    [InlineData(Encoding2.MessagePack)]
    public async Task An_unknown_frame_type_is_named_in_the_error(Encoding2 encoding)
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, encoding);
        await client.Send(new { type = "teleport", id = "x1" });
        var error = await client.Next("error");
        Assert.Equal("unknown_frame_type", (string)error["code"]!);
        Assert.Equal("x1", (string)error["id"]!);
        Assert.Contains("teleport", (string)error["message"]!);
        await AssertUsable(client);
    }

    [Fact]
    public async Task Missing_fields_are_named_in_the_error()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await client.Send(new { id = "no-type" });
        var noType = await client.Next("error");
        Assert.Equal("missing_field", (string)noType["code"]!);

        await client.HelloVisitor(gateway.SiteKey);
        await client.Send(new { type = "send", id = "s1", clientMessageId = "c1", text = "hi" });
        var error = await client.Next("error");
        Assert.Equal("missing_field", (string)error["code"]!);
        Assert.Contains("conversationId", (string)error["message"]!);

        await client.Send(new { type = "hello", id = "h0", role = "visitor" });
        Assert.Equal("already_authenticated", (string)(await client.Next("error"))["code"]!);
    }

    [Fact]
    public async Task A_field_of_the_wrong_type_is_a_malformed_frame()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await client.HelloVisitor(gateway.SiteKey);
        var conversationId = await client.StartConversation();
        await client.SendNode(new JsonObject { ["type"] = "read", ["id"] = "r1", ["conversationId"] = conversationId, ["seq"] = "not-a-number" });
        var error = await client.Next("error");
        Assert.Equal("malformed_frame", (string)error["code"]!);
        Assert.Equal("r1", (string)error["id"]!);
        await AssertUsable(client);
    }

    [Fact]
    public async Task Frames_before_hello_are_refused()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await client.Send(new { type = "start", id = "s0" });
        var error = await client.Next("error");
        Assert.Equal("not_authenticated", (string)error["code"]!);
        Assert.Equal("s0", (string)error["id"]!);
    }

    [Theory]
    [InlineData(Encoding2.Json)]
    [InlineData(Encoding2.MessagePack)]
    public async Task Text_over_the_message_limit_is_refused_and_nothing_is_stored(Encoding2 encoding)
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, encoding);
        await client.HelloVisitor(gateway.SiteKey);
        var conversationId = await client.StartConversation();

        await client.Send(new { type = "send", id = "big", conversationId, clientMessageId = "big", text = new string('x', 16 * 1024 + 1) });
        var error = await client.Next("error");
        Assert.Equal("message_too_long", (string)error["code"]!);
        Assert.Equal("big", (string)error["id"]!);

        var ok = await client.SendMessage(conversationId, "small", new string('y', 16 * 1024));
        Assert.Equal(1, (long)ok["seq"]!);
    }

    [Fact]
    public async Task A_frame_over_64_KiB_is_dropped_with_an_error_and_the_connection_stays()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await client.HelloVisitor(gateway.SiteKey);
        var padding = new string(' ', 70 * 1024);
        await client.SendRaw(Encoding.UTF8.GetBytes("{\"type\":\"ping\"," + padding + "\"t\":1}"), WebSocketMessageType.Text);
        var error = await client.Next("error");
        Assert.Equal("frame_too_large", (string)error["code"]!);
        await AssertUsable(client);
    }

    [Fact]
    public async Task A_frame_over_1_MiB_closes_the_connection_with_1009()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        try
        {
            await client.SendRaw(new byte[2 * 1024 * 1024], WebSocketMessageType.Text);
        }
        catch (WebSocketException)
        {
            // the server may close while we are still writing
        }
        Assert.Equal((WebSocketCloseStatus)1009, await client.Closed());
    }

    [Fact]
    public async Task A_wrong_site_key_gets_an_error_and_close_4003()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await client.Send(new { type = "hello", id = "h", role = "visitor", siteKey = "site_doesnotexist" });
        var error = await client.Next("error");
        Assert.Equal("invalid_site_key", (string)error["code"]!);
        Assert.Equal((WebSocketCloseStatus)4003, await client.Closed());
    }

    [Fact]
    public async Task An_origin_not_in_the_tenants_list_gets_an_error_and_close_4003()
    {
        var siteKey = await gateway.CreateTenant("origins-" + Ids.Random(3), "owner@origins.example", "owner-password-1", "https://shop.example");

        await using var allowed = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json, origin: "https://shop.example");
        await allowed.HelloVisitor(siteKey);

        await using var refused = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json, origin: "https://evil.example");
        await refused.Send(new { type = "hello", role = "visitor", siteKey });
        var error = await refused.Next("error");
        Assert.Equal("origin_not_allowed", (string)error["code"]!);
        Assert.Contains("evil.example", (string)error["message"]!);
        Assert.Equal((WebSocketCloseStatus)4003, await refused.Closed());

        await AssertUsable(allowed); // the other connection is unaffected
    }

    [Fact]
    public async Task A_visitor_token_of_another_visitor_is_refused()
    {
        await using var first = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var welcome = await first.HelloVisitor(gateway.SiteKey);
        var visitorId = (string)welcome["visitorId"]!;

        await using var thief = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await thief.Send(new { type = "hello", role = "visitor", siteKey = gateway.SiteKey, visitorToken = visitorId + ".guessedsecret" });
        Assert.Equal("invalid_visitor_token", (string)(await thief.Next("error"))["code"]!);
        var fresh = await thief.HelloVisitor(gateway.SiteKey); // may start over as a new visitor
        Assert.NotEqual(visitorId, (string)fresh["visitorId"]!);
    }

    [Fact]
    public async Task Forged_tampered_and_expired_agent_tokens_are_refused()
    {
        var auth = gateway.Services.GetRequiredService<Hosting.AuthOptions>();
        var agentInfo = new Tenants.AgentInfo("a_forgedagent1", "x@y.z", "Mallory", AgentRole.Owner, DateTimeOffset.UtcNow);
        var forged = new Auth.AgentTokens(new Hosting.AuthOptions { SigningKey = Auth.AgentTokens.NewSigningKey() }, TimeProvider.System).Issue("demo", agentInfo, new ChatCluster.Tenants.SessionStamp("", "")).Token;
        var expired = new Auth.AgentTokens(new Hosting.AuthOptions { SigningKey = auth.SigningKey, TokenLifetime = TimeSpan.FromMinutes(-5) }, TimeProvider.System).Issue("demo", agentInfo, new ChatCluster.Tenants.SessionStamp("", "")).Token;
        var real = await gateway.AgentToken();
        var parts = real.Split('.');
        var tampered = parts[0] + "." + parts[1][..^2] + (parts[1][^2..] == "AA" ? "BB" : "AA") + "." + parts[2];

        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        foreach (var token in new[] { forged, expired, tampered, "not-a-jwt" })
        {
            await client.Send(new { type = "hello", role = "agent", token });
            Assert.Equal("invalid_token", (string)(await client.Next("error"))["code"]!);
        }

        foreach (var token in new[] { forged, expired, tampered })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/inbox");
            request.Headers.Authorization = new("Bearer", token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.Http.SendAsync(request)).StatusCode);
        }
    }

    [Fact]
    public async Task Five_failed_hellos_close_the_connection_with_4003()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        for (var i = 0; i < 5; i++) await client.Send(new { type = "hello", role = "agent", token = "nope" });
        Assert.Equal((WebSocketCloseStatus)4003, await client.Closed());
    }

    [Fact]
    public async Task A_visitor_cannot_touch_another_visitors_conversation()
    {
        await using var owner = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await owner.HelloVisitor(gateway.SiteKey);
        var conversationId = await owner.StartConversation(name: "Private Person");
        await owner.SendMessage(conversationId, "p-1", "my secret");

        await using var other = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await other.HelloVisitor(gateway.SiteKey);
        foreach (var frame in new object[]
                 {
                     new { type = "send", id = "1", conversationId, clientMessageId = "x-1", text = "intrusion" },
                     new { type = "resume", id = "2", conversationId, afterSeq = 0 },
                     new { type = "close", id = "3", conversationId },
                     new { type = "join", id = "4", conversationId },
                 })
        {
            await other.Send(frame);
            var error = await other.Next("error");
            Assert.Contains((string)error["code"]!, new[] { "not_found", "forbidden" });
        }
        Assert.DoesNotContain(other.Seen, f => f.ToJsonString().Contains("my secret"));

        await owner.Send(new { type = "resume", conversationId, afterSeq = 0 });
        var history = await owner.Next("history");
        Assert.Single(history["messages"]!.AsArray()); // nothing was added by the intruder
    }

    [Fact]
    public async Task Ids_of_another_tenant_resolve_to_nothing()
    {
        await using var visitorA = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitorA.HelloVisitor(gateway.SiteKey);
        var conversationA = await visitorA.StartConversation(name: "Tenant A visitor");
        await visitorA.SendMessage(conversationA, "a-1", "tenant A secret");

        var tenantB = "other-" + Ids.Random(3);
        var siteKeyB = await gateway.CreateTenant(tenantB, "owner@b.example", "owner-password-b");
        var tokenB = await gateway.Login(tenantB, "owner@b.example", "owner-password-b");

        await using var agentB = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var welcome = await agentB.HelloAgent(tokenB);
        Assert.DoesNotContain(welcome["conversations"]!.AsArray(), c => (string)c!["conversationId"]! == conversationA);
        await agentB.Send(new { type = "join", id = "j", conversationId = conversationA });
        Assert.Equal("not_found", (string)(await agentB.Next("error"))["code"]!);
        await agentB.Send(new { type = "send", id = "s", conversationId = conversationA, clientMessageId = "b-1", text = "cross-tenant" });
        Assert.Equal("not_found", (string)(await agentB.Next("error"))["code"]!);

        await using var visitorB = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitorB.HelloVisitor(siteKeyB);
        await visitorB.Send(new { type = "resume", id = "r", conversationId = conversationA, afterSeq = 0 });
        Assert.Equal("not_found", (string)(await visitorB.Next("error"))["code"]!);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/conversations/{conversationA}");
        request.Headers.Authorization = new("Bearer", tokenB);
        var response = await gateway.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("tenant A secret", await response.Content.ReadAsStringAsync());
    }

    internal static async Task AssertUsable(ChatClient client)
    {
        var t = Random.Shared.NextInt64(1, 1_000_000);
        await client.Send(new { type = "ping", id = "alive", t });
        var pong = await client.Next("pong");
        while ((string?)pong["id"] != "alive") pong = await client.Next("pong"); // skip earlier keep-alive pongs
        Assert.Equal(t, (long)pong["t"]!);
        Assert.Equal(WebSocketState.Open, client.State);
    }
}
