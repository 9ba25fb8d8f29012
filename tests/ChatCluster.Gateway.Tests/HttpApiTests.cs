using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>The HTTP API: roles on every endpoint, problem-details errors for every kind of bad request.</summary>
[Collection(GatewayCollection.Name)]
public sealed class HttpApiTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Health_answers_200_when_the_cluster_is_reachable()
    {
        var response = await gateway.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("reachable", (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["cluster"]!);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task The_operator_api_needs_the_operator_key(string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/tenants/demo");
        if (key is not null) request.Headers.Add("X-Operator-Key", key);
        var response = await gateway.Http.SendAsync(request);
        await AssertProblem(response, HttpStatusCode.Unauthorized, "not_authenticated");
    }

    [Fact]
    public async Task Operators_create_tenants_rotate_site_keys_and_set_origins()
    {
        var id = "op-" + Ids.Random(3);
        var siteKey = await gateway.CreateTenant(id, "owner@op.example", "owner-password-1", "https://op.example");

        var rotated = await Operator(HttpMethod.Post, $"/api/tenants/{id}/site-key/rotate");
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newKey = (string)(await rotated.Content.ReadFromJsonAsync<JsonObject>())!["siteKey"]!;
        Assert.NotEqual(siteKey, newKey);

        await using (var old = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json))
        {
            await old.Send(new { type = "hello", role = "visitor", siteKey });
            Assert.Equal("invalid_site_key", (string)(await old.Next("error"))["code"]!);
        }

        var origins = await Operator(HttpMethod.Put, $"/api/tenants/{id}/allowed-origins", new { origins = new[] { "https://new.example:8443" } });
        Assert.Equal(HttpStatusCode.OK, origins.StatusCode);
        Assert.Equal("https://new.example:8443", (string)(await origins.Content.ReadFromJsonAsync<JsonObject>())!["allowedOrigins"]![0]!);

        await AssertProblem(await Operator(HttpMethod.Post, "/api/tenants", new
        {
            tenantId = id,
            name = "again",
            allowedOrigins = Array.Empty<string>(),
            owner = new { email = "x@op.example", password = "long-enough-1", displayName = "X" },
        }), HttpStatusCode.Conflict, "conflict");
    }

    [Fact]
    public async Task Bad_tenant_requests_get_problem_details()
    {
        var owner = new { email = "o@bad.example", password = "long-enough-1", displayName = "O" };
        await AssertProblem(await Operator(HttpMethod.Post, "/api/tenants", new { tenantId = "Not Valid!", name = "x", owner }), HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblem(await Operator(HttpMethod.Post, "/api/tenants", new { tenantId = "ok-" + Ids.Random(3), name = "x", owner = new { email = "o@x.example", password = "short", displayName = "O" } }), HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblem(await Operator(HttpMethod.Post, "/api/tenants", new { tenantId = "ok-" + Ids.Random(3), name = "x", allowedOrigins = new[] { "javascript:alert(1)" }, owner }), HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblem(await Operator(HttpMethod.Get, "/api/tenants/nobody-here"), HttpStatusCode.NotFound, "not_found");

        using var malformed = new HttpRequestMessage(HttpMethod.Post, "/api/tenants") { Content = new StringContent("{ not json", Encoding.UTF8, "application/json") };
        malformed.Headers.Add("X-Operator-Key", GatewayFixture.OperatorKey);
        var response = await gateway.Http.SendAsync(malformed);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Login_refuses_wrong_passwords_and_unknown_accounts_alike()
    {
        var wrong = await gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId = "demo", email = GatewayFixture.DemoEmail, password = "wrong-password" });
        var unknown = await gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId = "demo", email = "nobody@demo.local", password = "wrong-password" });
        var detailWrong = await AssertProblem(wrong, HttpStatusCode.Unauthorized, "not_authenticated");
        var detailUnknown = await AssertProblem(unknown, HttpStatusCode.Unauthorized, "not_authenticated");
        Assert.Equal(detailWrong, detailUnknown); // nothing tells which emails exist
        await AssertProblem(await gateway.Http.PostAsJsonAsync("/api/auth/login", new { email = "x" }), HttpStatusCode.BadRequest, "missing_field");
    }

    [Fact]
    public async Task Agent_endpoints_need_a_token_and_admin_endpoints_need_an_admin()
    {
        await AssertProblem(await gateway.Http.GetAsync("/api/inbox"), HttpStatusCode.Unauthorized, "not_authenticated");

        var ownerToken = await gateway.AgentToken();
        var email = $"agent-{Ids.Random(3)}@demo.local";
        var created = await Authorized(ownerToken, HttpMethod.Post, "/api/agents", new { email, password = "agent-password-1", displayName = "Al", role = "agent" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("agent", (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["role"]!);

        var agentToken = await gateway.Login("demo", email, "agent-password-1");
        Assert.Equal(HttpStatusCode.OK, (await Authorized(agentToken, HttpMethod.Get, "/api/inbox")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Authorized(agentToken, HttpMethod.Get, "/api/me")).StatusCode);
        await AssertProblem(await Authorized(agentToken, HttpMethod.Get, "/api/agents"), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(HttpStatusCode.Forbidden, (await Authorized(agentToken, HttpMethod.Post, "/api/agents", new { email = "x@demo.local", password = "agent-password-1", role = "agent" })).StatusCode);

        await AssertProblem(await Authorized(ownerToken, HttpMethod.Post, "/api/agents", new { email, password = "agent-password-1", role = "agent" }), HttpStatusCode.Conflict, "conflict");
        await AssertProblem(await Authorized(ownerToken, HttpMethod.Post, "/api/agents", new { email = "r@demo.local", password = "agent-password-1", role = "emperor" }), HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblem(await Authorized(ownerToken, HttpMethod.Post, "/api/agents", new { email = "not-an-email", password = "agent-password-1", role = "agent" }), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task The_socket_endpoint_explains_itself_to_plain_http_and_unknown_subprotocols()
    {
        var plain = await gateway.Http.GetAsync("/ws");
        Assert.Equal((HttpStatusCode)426, plain.StatusCode);

        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("chat.v9");
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(gateway.SocketUri, CancellationToken.None));
        Assert.Contains("400", refused.Message);
    }

    private Task<HttpResponseMessage> Operator(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        request.Headers.Add("X-Operator-Key", GatewayFixture.OperatorKey);
        return gateway.Http.SendAsync(request);
    }

    private Task<HttpResponseMessage> Authorized(string token, HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        request.Headers.Authorization = new("Bearer", token);
        return gateway.Http.SendAsync(request);
    }

    private static async Task<string> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {status}, got {response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(code, (string)problem["code"]!);
        return (string)problem["detail"]!;
    }
}
