using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>I4: tenant API keys (scoped, shown once, hashed, revocable, audited) and the REST API they open.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ApiKeyTests(GatewayFixture gateway)
{
    [Fact]
    public async Task An_admin_makes_a_key_that_is_shown_once_and_listed_without_its_secret()
    {
        var (_, _, owner) = await gateway.FreshTenant("keys");
        var created = await (await gateway.Call(HttpMethod.Post, "/api/settings/api-keys", owner,
            new { name = "CRM sync", scopes = new[] { "conversations:read" } })).Json(HttpStatusCode.Created);
        var secret = (string)created["secret"]!;
        Assert.StartsWith("ck_", secret);

        var listed = await gateway.Call(HttpMethod.Get, "/api/settings/api-keys", owner);
        var text = await listed.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Contains("CRM sync", text);
        Assert.DoesNotContain(secret.Split('.')[^1], text);
        Assert.DoesNotContain("secret", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Plain_agents_and_strangers_cannot_manage_keys()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("keys");
        var (_, agent) = await gateway.PlainAgent(tenantId, owner);
        Assert.Equal(HttpStatusCode.Forbidden, (await gateway.Call(HttpMethod.Post, "/api/settings/api-keys", agent, new { name = "x", scopes = new[] { "reports:read" } })).StatusCode);
        await (await gateway.Call(HttpMethod.Get, "/api/settings/api-keys", null)).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
        // A key cannot make keys.
        var key = await Key(owner, "conversations:read", "webhooks:manage");
        Assert.Equal(HttpStatusCode.Unauthorized, (await Api(HttpMethod.Get, "/api/settings/api-keys", key)).StatusCode);
    }

    [Fact]
    public async Task Bad_key_requests_get_problem_details()
    {
        var (_, _, owner) = await gateway.FreshTenant("keys");
        await (await gateway.Call(HttpMethod.Post, "/api/settings/api-keys", owner, new { scopes = new[] { "reports:read" } })).AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        await (await gateway.Call(HttpMethod.Post, "/api/settings/api-keys", owner, new { name = "x" })).AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        await (await gateway.Call(HttpMethod.Post, "/api/settings/api-keys", owner, new { name = "x", scopes = new[] { "everything" } })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await gateway.Call(HttpMethod.Post, "/api/settings/api-keys", owner, new { name = new string('n', 81), scopes = new[] { "reports:read" } })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await gateway.Call(HttpMethod.Delete, "/api/settings/api-keys/k_nosuchkeyatall", owner)).AssertProblem(HttpStatusCode.NotFound, "not_found");
        await (await gateway.Call(HttpMethod.Delete, "/api/settings/api-keys/..%2f", owner)).AssertProblem(HttpStatusCode.NotFound, "not_found");

        using var malformed = new HttpRequestMessage(HttpMethod.Post, "/api/settings/api-keys") { Content = new StringContent("{ nope", Encoding.UTF8, "application/json") };
        malformed.Headers.Authorization = new("Bearer", owner);
        var response = await gateway.Http.SendAsync(malformed);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_key_reads_lists_posts_assigns_and_closes_within_its_tenant()
    {
        var (tenantId, siteKey, owner) = await gateway.FreshTenant("keys");
        var (agentId, _) = await gateway.PlainAgent(tenantId, owner);
        var key = await Key(owner, "conversations:read", "conversations:write", "messages:send");
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation();
        await visitor.SendMessage(conversationId, "v-1", "Where is my order?");

        var listed = await (await Api(HttpMethod.Get, "/api/v1/conversations", key)).Json();
        Assert.Contains(listed["conversations"]!.AsArray(), c => (string?)c!["conversationId"] == conversationId);

        var posted = await (await Api(HttpMethod.Post, $"/api/v1/conversations/{conversationId}/messages", key,
            new { clientMessageId = "crm-1", text = "Your order ships today.", botName = "Order bot" })).Json(HttpStatusCode.Created);
        Assert.Equal(2, (int)posted["seq"]!);
        var seen = await visitor.Next("message");
        while ((int)seen["seq"]! < 2) seen = await visitor.Next("message");
        Assert.Equal("Order bot", (string?)seen["sender"]!["name"]);
        Assert.Equal("system", (string?)seen["sender"]!["kind"]);
        var again = await (await Api(HttpMethod.Post, $"/api/v1/conversations/{conversationId}/messages", key,
            new { clientMessageId = "crm-1", text = "Your order ships today.", botName = "Order bot" })).Json(HttpStatusCode.Created);
        Assert.True((bool)again["duplicate"]!);

        var asAgent = await (await Api(HttpMethod.Post, $"/api/v1/conversations/{conversationId}/messages", key,
            new { clientMessageId = "crm-2", text = "I am on it.", agentId })).Json(HttpStatusCode.Created);
        Assert.Equal(3, (int)asAgent["seq"]!);

        var assigned = await (await Api(HttpMethod.Post, $"/api/v1/conversations/{conversationId}/assign", key, new { agentId })).Json();
        Assert.Equal(("assigned", agentId), ((string?)assigned["status"], (string?)assigned["assignedAgentId"]));

        var transcript = await (await Api(HttpMethod.Get, $"/api/v1/conversations/{conversationId}", key)).Json();
        Assert.Equal(3, transcript["messages"]!.AsArray().Count);

        var closed = await (await Api(HttpMethod.Post, $"/api/v1/conversations/{conversationId}/close", key)).Json();
        Assert.Equal("closed", (string?)closed["status"]);

        // Every use is in the audit log, naming the key and the route, never the text.
        var keyId = key.Split('.')[1];
        var audit = await (await gateway.Call(HttpMethod.Get, "/api/audit", owner)).Content.ReadAsStringAsync();
        Assert.Contains($"apikey:{keyId}", audit);
        Assert.Contains("apiKeyUsed", audit);
        Assert.Contains("POST /api/v1/conversations/{conversationId}/messages", audit);
        Assert.DoesNotContain("ships today", audit);
    }

    [Fact]
    public async Task Missing_scopes_revoked_keys_and_forged_keys_are_refused()
    {
        var (_, _, owner) = await gateway.FreshTenant("keys");
        var reader = await Key(owner, "conversations:read");
        var body = await (await Api(HttpMethod.Post, "/api/v1/conversations/c_aaaaaaaaaaaaaaaaaaaaaaaa/messages", reader,
            new { clientMessageId = "x", text = "hi", botName = "b" })).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains("messages:send", (string?)body["detail"]);
        await (await Api(HttpMethod.Get, "/api/v1/reports", reader)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");

        await (await Api(HttpMethod.Get, "/api/v1/conversations", null)).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
        await (await Api(HttpMethod.Get, "/api/v1/conversations", "ck_garbage")).AssertProblem(HttpStatusCode.Unauthorized, "invalid_token");
        await (await Api(HttpMethod.Get, "/api/v1/conversations", reader[..^2] + "zz")).AssertProblem(HttpStatusCode.Unauthorized, "invalid_token");
        // An agent's token is not an API key.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Api(HttpMethod.Get, "/api/v1/conversations", owner)).StatusCode);

        var keyId = reader.Split('.')[1];
        var revoked = await (await gateway.Call(HttpMethod.Delete, $"/api/settings/api-keys/{keyId}", owner)).Json();
        Assert.NotNull(revoked["revokedAt"]);
        await (await Api(HttpMethod.Get, "/api/v1/conversations", reader)).AssertProblem(HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task A_key_cannot_reach_another_tenants_conversations_or_agents()
    {
        var (_, siteKey, otherOwner) = await gateway.FreshTenant("other");
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var theirs = await visitor.StartConversation();
        var theirAgent = (string)(await (await gateway.Call(HttpMethod.Get, "/api/me", otherOwner)).Json())["agentId"]!;

        var (_, _, owner) = await gateway.FreshTenant("keys");
        var key = await Key(owner, "conversations:read", "conversations:write", "messages:send");
        await (await Api(HttpMethod.Get, $"/api/v1/conversations/{theirs}", key)).AssertProblem(HttpStatusCode.NotFound, "not_found");
        await (await Api(HttpMethod.Post, $"/api/v1/conversations/{theirs}/close", key)).AssertProblem(HttpStatusCode.NotFound, "not_found");
        await (await Api(HttpMethod.Post, $"/api/v1/conversations/{theirs}/messages", key, new { clientMessageId = "x", text = "hi", botName = "b" }))
            .AssertProblem(HttpStatusCode.NotFound, "not_found");
        var list = await (await Api(HttpMethod.Get, "/api/v1/conversations", key)).Json();
        Assert.DoesNotContain(list["conversations"]!.AsArray(), c => (string?)c!["conversationId"] == theirs);

        await (await Api(HttpMethod.Post, $"/api/v1/conversations/{theirs}/assign", key, new { agentId = theirAgent })).AssertProblem(HttpStatusCode.NotFound, "not_found");
        // A tenant in the query changes nothing: the key decides.
        var report = await (await Api(HttpMethod.Get, "/api/v1/reports?tenant=other", await Key(owner, "reports:read"))).Json(HttpStatusCode.BadRequest);
        Assert.Equal("invalid_request", (string?)report["code"]);
    }

    [Fact]
    public async Task Malformed_and_oversized_bodies_get_problem_details()
    {
        var (_, siteKey, owner) = await gateway.FreshTenant("keys");
        var key = await Key(owner, "messages:send", "conversations:read", "reports:read");
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation();
        var path = $"/api/v1/conversations/{conversationId}/messages";

        await (await Api(HttpMethod.Post, path, key, new { text = "hi", botName = "b" })).AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        await (await Api(HttpMethod.Post, path, key, new { clientMessageId = "a", botName = "b" })).AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        await (await Api(HttpMethod.Post, path, key, new { clientMessageId = "a", text = "hi" })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await Api(HttpMethod.Post, path, key, new { clientMessageId = "a", text = "hi", botName = "b", agentId = "a_x" })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await Api(HttpMethod.Post, path, key, new { clientMessageId = "a", text = "hi", botName = new string('b', 61) })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await Api(HttpMethod.Post, path, key, new { clientMessageId = "a", text = "hi", agentId = "a_nosuchagentatall" })).AssertProblem(HttpStatusCode.NotFound, "not_found");
        await (await Api(HttpMethod.Post, path, key, new { clientMessageId = "a", text = new string('x', 17_000), botName = "b" })).AssertProblem(HttpStatusCode.BadRequest, "message_too_long");
        await (await Api(HttpMethod.Get, "/api/v1/conversations?limit=0", key)).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await Api(HttpMethod.Get, "/api/v1/conversations?after=../../x", key)).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await Api(HttpMethod.Get, "/api/v1/conversations/not-an-id", key)).AssertProblem(HttpStatusCode.NotFound, "not_found");

        using var malformed = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{ nope", Encoding.UTF8, "application/json") };
        malformed.Headers.Authorization = new("Bearer", key);
        var bad = await gateway.Http.SendAsync(malformed);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);

        var huge = await Api(HttpMethod.Post, path, key, new { clientMessageId = "big", text = new string('x', 200_000), botName = "b" });
        await huge.AssertProblem(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");

        // Nothing above was posted.
        var transcript = await (await Api(HttpMethod.Get, $"/api/v1/conversations/{conversationId}", key)).Json();
        Assert.Empty(transcript["messages"]!.AsArray());
    }

    [Fact]
    public async Task Reports_are_read_with_the_reports_scope()
    {
        var (_, _, owner) = await gateway.FreshTenant("keys");
        var report = await (await Api(HttpMethod.Get, "/api/v1/reports?granularity=day", await Key(owner, "reports:read"))).Json();
        Assert.NotNull(report["totals"]);
    }

    private async Task<string> Key(string adminToken, params string[] scopes)
    {
        var created = await (await gateway.Call(HttpMethod.Post, "/api/settings/api-keys", adminToken, new { name = "test key", scopes })).Json(HttpStatusCode.Created);
        return (string)created["secret"]!;
    }

    private Task<HttpResponseMessage> Api(HttpMethod method, string path, string? key, object? body = null) => gateway.Call(method, path, key, body);
}

/// <summary>A gateway whose API keys may make 3 calls at once and then one a minute.</summary>
public sealed class TightApiKeyFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:ApiKeys:Burst"] = "3",
        ["ChatCluster:ApiKeys:RequestsPerMinute"] = "1",
    };
}

public sealed class ApiKeyFloodTests(TightApiKeyFixture gateway) : IClassFixture<TightApiKeyFixture>
{
    [Fact]
    public async Task A_flooding_key_gets_rate_limited_with_retry_after_and_other_keys_do_not()
    {
        var (_, _, owner) = await gateway.FreshTenant("flood");
        async Task<string> Key() => (string)(await (await gateway.Call(HttpMethod.Post, "/api/settings/api-keys", owner,
            new { name = "k", scopes = new[] { "conversations:read" } })).Json(HttpStatusCode.Created))["secret"]!;
        var noisy = await Key();
        var quiet = await Key();

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++) answers.Add(await gateway.Call(HttpMethod.Get, "/api/v1/conversations", noisy));
        Assert.Equal(3, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        var limited = answers.Last();
        await limited.AssertProblem(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);

        Assert.Equal(HttpStatusCode.OK, (await gateway.Call(HttpMethod.Get, "/api/v1/conversations", quiet)).StatusCode);
        // The admin's own console is not limited by the key.
        Assert.Equal(HttpStatusCode.OK, (await gateway.Call(HttpMethod.Get, "/api/settings/api-keys", owner)).StatusCode);
    }
}
