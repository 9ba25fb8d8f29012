using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Gateway.Tests;

/// <summary>R3: closing an account disables its widget and logins at once; the operator can reopen it before the purge.</summary>
public sealed class AccountClosureApiTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task An_owner_closes_the_account_the_widget_and_logins_are_refused_and_the_operator_reopens_it()
    {
        var tenant = "x-" + Ids.Random(6);
        var ownerEmail = "owner@" + tenant + ".test";
        var siteKey = await gateway.CreateTenant(tenant, ownerEmail, Password);
        var owner = await gateway.Login(tenant, ownerEmail, Password);

        using (var close = new HttpRequestMessage(HttpMethod.Post, "/api/settings/close-account"))
        {
            close.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner);
            var closed = await gateway.Http.SendAsync(close);
            var body = JsonNode.Parse(await closed.Content.ReadAsStringAsync())!;
            Assert.True(closed.IsSuccessStatusCode, body.ToJsonString());
            Assert.Equal(TimeSpan.FromDays(30), DateTimeOffset.Parse((string)body["purgeAt"]!) - DateTimeOffset.Parse((string)body["closedAt"]!));
        }

        await using (var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json))
        {
            await visitor.Send(new { type = "hello", id = "h", role = "visitor", siteKey });
            Assert.Equal("tenant_closed", (string)(await visitor.Next("error"))["code"]!);
            Assert.Equal((WebSocketCloseStatus)4003, await visitor.Closed());
        }
        var login = await gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId = tenant, email = ownerEmail, password = Password });
        Assert.Equal(HttpStatusCode.Forbidden, login.StatusCode);
        Assert.Equal("tenant_closed", (string)JsonNode.Parse(await login.Content.ReadAsStringAsync())!["code"]!);
        await using (var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json))
        {
            // The owner's token from before the closure opens no socket any more.
            await agent.Send(new { type = "hello", id = "a", role = "agent", token = owner });
            Assert.Equal("tenant_closed", (string)(await agent.Next("error"))["code"]!);
            Assert.Equal((WebSocketCloseStatus)4003, await agent.Closed());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.Http.PostAsync($"/api/tenants/{tenant}/reopen", null)).StatusCode);
        using (var reopen = new HttpRequestMessage(HttpMethod.Post, $"/api/tenants/{tenant}/reopen"))
        {
            reopen.Headers.Add("X-Operator-Key", GatewayFixture.OperatorKey);
            (await gateway.Http.SendAsync(reopen)).EnsureSuccessStatusCode();
        }
        await gateway.Login(tenant, ownerEmail, Password);
        await using var again = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        Assert.NotNull((string?)(await again.HelloVisitor(siteKey))["visitorId"]);
    }

    [Fact]
    public async Task Sockets_that_said_hello_before_the_closure_are_closed_with_tenant_closed_and_other_tenants_stay_connected()
    {
        var (tenant, siteKey, owner) = await gateway.FreshTenant("w");
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.MessagePack);
        await agent.HelloAgent(owner);
        await using var bystander = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await bystander.HelloVisitor(gateway.SiteKey); // the demo tenant

        (await gateway.OperatorCall(HttpMethod.Post, $"/api/tenants/{tenant}/close")).EnsureSuccessStatusCode();

        // Neither socket sends anything: the gateway notices on its own, within a watchdog tick (5 s by default).
        var wait = TimeSpan.FromSeconds(20);
        Assert.Equal("tenant_closed", (string)(await visitor.Next("error", wait))["code"]!);
        Assert.Equal((WebSocketCloseStatus)4003, await visitor.Closed(wait));
        Assert.Equal("tenant_closed", (string)(await agent.Next("error", wait))["code"]!);
        Assert.Equal((WebSocketCloseStatus)4003, await agent.Closed(wait));
        await BadInputTests.AssertUsable(bystander);
    }

    [Fact]
    public async Task A_closure_made_through_another_gateway_closes_open_sockets_within_two_seconds_and_no_send_is_acknowledged_after_it()
    {
        var (tenant, siteKey, _) = await gateway.FreshTenant("v");
        await using var chatting = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await chatting.HelloVisitor(siteKey);
        var conversationId = await chatting.StartConversation("Vera");
        await chatting.SendMessage(conversationId, "m-1", "before the closure");
        await using var idle = await ChatClient.Connect(gateway.SocketUri, Encoding2.MessagePack);
        await idle.HelloVisitor(siteKey);

        // Straight to the tenant grain, as another gateway's endpoint would: this gateway's standings cache is not told.
        await gateway.Services.GetRequiredService<IClusterClient>().GetGrain<Tenants.ITenantGrain>(tenant).Close("operator");
        var since = System.Diagnostics.Stopwatch.StartNew();
        await chatting.Send(new { type = "send", id = "m-2", conversationId, clientMessageId = "m-2", text = "after the closure" });

        var refused = await chatting.Next("error", TimeSpan.FromSeconds(2));
        Assert.Equal("tenant_closed", (string)refused["code"]!);
        Assert.Equal((WebSocketCloseStatus)4003, await chatting.Closed(TimeSpan.FromSeconds(3)));
        Assert.Equal("tenant_closed", (string)(await idle.Next("error", TimeSpan.FromSeconds(3)))["code"]!);
        Assert.Equal((WebSocketCloseStatus)4003, await idle.Closed(TimeSpan.FromSeconds(3)));
        Assert.True(since.Elapsed < TimeSpan.FromSeconds(2), $"The sockets were closed {since.Elapsed.TotalSeconds:0.0} s after the closure.");
        Assert.DoesNotContain(chatting.Seen, f => (string?)f["type"] == "ack" && (string?)f["id"] == "m-2");
    }

    [Fact]
    public async Task The_operator_closes_a_tenant_and_an_unknown_tenant_is_not_found()
    {
        var tenant = "y-" + Ids.Random(6);
        await gateway.CreateTenant(tenant, "owner@" + tenant + ".test", Password);
        using var close = new HttpRequestMessage(HttpMethod.Post, $"/api/tenants/{tenant}/close");
        close.Headers.Add("X-Operator-Key", GatewayFixture.OperatorKey);
        (await gateway.Http.SendAsync(close)).EnsureSuccessStatusCode();
        var login = await gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId = tenant, email = "owner@" + tenant + ".test", password = Password });
        Assert.Equal(HttpStatusCode.Forbidden, login.StatusCode);

        using var unknown = new HttpRequestMessage(HttpMethod.Post, "/api/tenants/no-such-tenant-x/close");
        unknown.Headers.Add("X-Operator-Key", GatewayFixture.OperatorKey);
        Assert.Equal(HttpStatusCode.NotFound, (await gateway.Http.SendAsync(unknown)).StatusCode);
    }

    [Fact]
    public async Task An_admin_who_is_not_the_owner_may_not_close_the_account()
    {
        var tenant = "z-" + Ids.Random(6);
        var ownerEmail = "owner@" + tenant + ".test";
        await gateway.CreateTenant(tenant, ownerEmail, Password);
        var owner = await gateway.Login(tenant, ownerEmail, Password);
        using (var add = new HttpRequestMessage(HttpMethod.Post, "/api/agents"))
        {
            add.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner);
            add.Content = JsonContent.Create(new { email = "admin@" + tenant + ".test", password = Password, displayName = "Ada", role = "admin" });
            (await gateway.Http.SendAsync(add)).EnsureSuccessStatusCode();
        }
        var admin = await gateway.Login(tenant, "admin@" + tenant + ".test", Password);
        using var close = new HttpRequestMessage(HttpMethod.Post, "/api/settings/close-account");
        close.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        var refused = await gateway.Http.SendAsync(close);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("forbidden", (string)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["code"]!);
        await gateway.Login(tenant, ownerEmail, Password); // still open
    }

    [Fact]
    public async Task A_closed_tenants_tokens_get_403_tenant_closed_from_the_api_except_the_closure_status_and_reopening()
    {
        var (tenant, _, owner) = await gateway.FreshTenant("k");
        var (_, agent) = await gateway.PlainAgent(tenant, owner);
        var otherTenant = await gateway.AgentToken();
        (await gateway.Call(HttpMethod.Get, "/api/inbox", owner, null)).EnsureSuccessStatusCode();
        Assert.False((bool)(await (await gateway.Call(HttpMethod.Get, "/api/settings/account-closure", owner)).Json())["closed"]!);

        (await gateway.Call(HttpMethod.Post, "/api/settings/close-account", owner)).EnsureSuccessStatusCode();

        foreach (var (method, path) in AgentApi)
            await (await gateway.Call(method, path, owner, method == HttpMethod.Get ? null : new { })).AssertProblem(HttpStatusCode.Forbidden, "tenant_closed");
        await (await gateway.Call(HttpMethod.Get, "/api/inbox", agent)).AssertProblem(HttpStatusCode.Forbidden, "tenant_closed");
        await (await gateway.Call(HttpMethod.Get, "/api/me", agent)).AssertProblem(HttpStatusCode.Forbidden, "tenant_closed");
        (await gateway.Call(HttpMethod.Get, "/api/inbox", otherTenant)).EnsureSuccessStatusCode(); // another tenant is unaffected

        var status = await (await gateway.Call(HttpMethod.Get, "/api/settings/account-closure", owner)).Json();
        Assert.True((bool)status["closed"]!);
        Assert.Equal(TimeSpan.FromDays(30), DateTimeOffset.Parse((string)status["purgeAt"]!) - DateTimeOffset.Parse((string)status["closedAt"]!));
        await (await gateway.Call(HttpMethod.Post, "/api/settings/reopen-account", agent)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");

        var reopened = await (await gateway.Call(HttpMethod.Post, "/api/settings/reopen-account", owner)).Json();
        Assert.False((bool)reopened["closed"]!);
        (await gateway.Call(HttpMethod.Get, "/api/inbox", owner)).EnsureSuccessStatusCode();
        (await gateway.Call(HttpMethod.Get, "/api/stats", owner)).EnsureSuccessStatusCode();
        (await gateway.Call(HttpMethod.Get, "/api/me", agent)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Closure_status_and_reopening_need_a_valid_token_and_reach_only_the_callers_own_tenant()
    {
        foreach (var token in new string?[] { null, "not-a-jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl" })
        {
            await (await gateway.Call(HttpMethod.Get, "/api/settings/account-closure", token)).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
            await (await gateway.Call(HttpMethod.Post, "/api/settings/reopen-account", token)).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
        }

        var (closed, _, closedOwner) = await gateway.FreshTenant("kc");
        var (_, _, otherOwner) = await gateway.FreshTenant("ko");
        (await gateway.Call(HttpMethod.Post, "/api/settings/close-account", closedOwner)).EnsureSuccessStatusCode();

        // Another tenant's owner reopens their own (open) account; the closed one stays closed.
        Assert.False((bool)(await (await gateway.Call(HttpMethod.Post, "/api/settings/reopen-account", otherOwner, new { tenantId = closed })).Json())["closed"]!);
        Assert.True((bool)(await (await gateway.Call(HttpMethod.Get, "/api/settings/account-closure", closedOwner)).Json())["closed"]!);
        await (await gateway.Call(HttpMethod.Get, "/api/inbox", closedOwner)).AssertProblem(HttpStatusCode.Forbidden, "tenant_closed");
    }

    /// <summary>One call from each group of the agent API: agent, admin and enrolment policies.</summary>
    private static readonly (HttpMethod Method, string Path)[] AgentApi =
    [
        (HttpMethod.Get, "/api/me"),
        (HttpMethod.Get, "/api/inbox"),
        (HttpMethod.Get, "/api/agents"),
        (HttpMethod.Get, "/api/routing"),
        (HttpMethod.Get, "/api/stats"),
        (HttpMethod.Get, "/api/reports"),
        (HttpMethod.Get, "/api/settings/ai"),
        (HttpMethod.Put, "/api/settings/retention"),
        (HttpMethod.Get, "/api/privacy/requests"),
        (HttpMethod.Get, "/api/me/totp"),
        (HttpMethod.Get, "/api/settings/security"),
        (HttpMethod.Post, "/api/settings/close-account"),
    ];
}
