using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>
/// Tight visitor quotas behind a trusted proxy on loopback, so each test is its own client address
/// (X-Forwarded-For): 3 new visitors a minute per address, 2 conversations an hour per visitor, 3 live
/// conversations per tenant.
/// </summary>
public sealed class QuotaFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:Gateway:TrustedProxies:0"] = "127.0.0.0/8",
        ["ChatCluster:Abuse:NewVisitorsPerMinutePerAddress"] = "3",
        ["ChatCluster:Abuse:ConversationsPerMinutePerAddress"] = "100",
        ["ChatCluster:Abuse:ConversationsPerHourPerVisitor"] = "2",
        ["ChatCluster:Abuse:MaxOpenConversationsPerTenant"] = "3",
    };
}

/// <summary>Issue 15 item 1: an anonymous flood gets typed <c>rate_limited</c> answers, bounded state, and agents keep working.</summary>
public sealed class VisitorQuotaTests(QuotaFixture gateway) : IClassFixture<QuotaFixture>
{
    private Task<ChatClient> From(string address) =>
        ChatClient.Connect(gateway.SocketUri, Encoding2.Json, configure: o => o.SetRequestHeader("X-Forwarded-For", address));

    [Fact]
    public async Task New_visitors_past_the_address_quota_get_rate_limited_while_an_agent_signs_in_within_a_second()
    {
        var (tenantId, siteKey, owner) = await gateway.FreshTenant("flood");
        var sockets = new List<ChatClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                sockets.Add(await From("198.51.100.1"));
                await sockets[^1].HelloVisitor(siteKey);
            }
            var flooder = await From("198.51.100.1");
            sockets.Add(flooder);
            await flooder.Send(new { type = "hello", id = "h", role = "visitor", siteKey });
            var refused = await flooder.Next("error");
            Assert.Equal("rate_limited", (string?)refused["code"]);
            Assert.InRange((int)refused["retryAfterMs"]!, 1000, 60_000);
            Assert.Equal("h", (string?)refused["id"]);

            // Another address is not affected, and neither is the team.
            await using var neighbour = await From("198.51.100.2");
            await neighbour.HelloVisitor(siteKey);
            var clock = Stopwatch.StartNew();
            await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
            await agent.HelloAgent(owner);
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
            await gateway.Login(tenantId, $"owner@{tenantId}.test", "owner-password-1");
        }
        finally
        {
            foreach (var socket in sockets) await socket.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_visitor_past_their_conversation_quota_gets_rate_limited_and_keeps_the_socket()
    {
        var (_, siteKey, _) = await gateway.FreshTenant("starts");
        await using var visitor = await From("198.51.100.3");
        await visitor.HelloVisitor(siteKey);
        var first = await visitor.StartConversation();
        await visitor.Send(new { type = "close", id = "c1", conversationId = first });
        await visitor.Next("conversation");
        await visitor.StartConversation();

        await visitor.Send(new { type = "start", id = "s3" });
        var refused = await visitor.Next("error");
        Assert.Equal("rate_limited", (string?)refused["code"]);
        Assert.True((int)refused["retryAfterMs"]! > 1000);
        await visitor.Send(new { type = "ping", id = "p" });
        await visitor.Next("pong");
    }

    [Fact]
    public async Task A_tenant_at_its_cap_of_live_conversations_refuses_more_starts_and_its_inbox_is_paged()
    {
        var (_, siteKey, owner) = await gateway.FreshTenant("cap");
        var visitors = new List<ChatClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                visitors.Add(await From("198.51.100." + (10 + i)));
                await visitors[i].HelloVisitor(siteKey);
                await visitors[i].StartConversation();
            }
            // The inbox hears of starts one-way; the quota reads it at most once a second.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (await Total(owner) < 3 && DateTime.UtcNow < deadline) await Task.Delay(100);
            await Task.Delay(1100);

            await visitors[0].Send(new { type = "start", id = "over" });
            var refused = await visitors[0].Next("error");
            Assert.Equal("rate_limited", (string?)refused["code"]);
            Assert.Equal(30_000, (int)refused["retryAfterMs"]!);

            // Paged: two, then the rest, each conversation once.
            var first = await gateway.Call(HttpMethod.Get, "/api/inbox?limit=2", owner);
            Assert.Equal("3", first.Headers.GetValues("X-Inbox-Total").Single());
            var next = first.Headers.GetValues("X-Inbox-Next").Single();
            var firstPage = (await first.Content.ReadFromJsonAsync<JsonArray>())!;
            var second = await gateway.Call(HttpMethod.Get, "/api/inbox?limit=2&before=" + Uri.EscapeDataString(next), owner);
            Assert.False(second.Headers.Contains("X-Inbox-Next"));
            var ids = firstPage.Concat((await second.Content.ReadFromJsonAsync<JsonArray>())!).Select(c => (string)c!["conversationId"]!).ToList();
            Assert.Equal(3, ids.Distinct().Count());

            await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
            var welcome = await agent.HelloAgent(owner);
            Assert.Equal(3, (int)welcome["inboxTotal"]!);
            Assert.Null(welcome["inboxNext"]);

            foreach (var bad in new[] { "limit=0", "limit=201", "limit=x", "before=nonsense", "before=1~..%2F", "before=" + new string('9', 200) })
                await (await gateway.Call(HttpMethod.Get, "/api/inbox?" + bad, owner)).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        }
        finally
        {
            foreach (var visitor in visitors) await visitor.DisposeAsync();
        }
    }

    private async Task<int> Total(string owner) =>
        int.Parse((await gateway.Call(HttpMethod.Get, "/api/inbox?limit=1", owner)).Headers.GetValues("X-Inbox-Total").Single());
}
