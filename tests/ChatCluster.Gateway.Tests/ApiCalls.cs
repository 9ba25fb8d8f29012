using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>Small HTTP helpers for tests of the team API.</summary>
public static class ApiCalls
{
    public static async Task<HttpResponseMessage> Call(this GatewayFixture gateway, HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await gateway.Http.SendAsync(request);
    }

    public static async Task<JsonObject> Json(this HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Asserts a problem-details answer with <paramref name="status"/> and <paramref name="code"/>; returns its body.</summary>
    public static async Task<JsonObject> AssertProblem(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Json(status);
        Assert.Equal(code, (string?)body["code"]);
        return body;
    }

    /// <summary>A call of the operator API, with the fixture's operator key.</summary>
    public static async Task<HttpResponseMessage> OperatorCall(this GatewayFixture gateway, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Operator-Key", GatewayFixture.OperatorKey);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await gateway.Http.SendAsync(request);
    }

    /// <summary>A fresh tenant with its owner logged in: (tenantId, siteKey, owner token).</summary>
    public static async Task<(string TenantId, string SiteKey, string OwnerToken)> FreshTenant(this GatewayFixture gateway, string prefix)
    {
        var tenantId = prefix + "-" + Ids.Random(5);
        var siteKey = await gateway.CreateTenant(tenantId, $"owner@{tenantId}.test", "owner-password-1");
        return (tenantId, siteKey, await gateway.Login(tenantId, $"owner@{tenantId}.test", "owner-password-1"));
    }

    /// <summary>Adds a plain agent (role agent) to a fresh tenant and logs them in: (agentId, token).</summary>
    public static async Task<(string AgentId, string Token)> PlainAgent(this GatewayFixture gateway, string tenantId, string ownerToken, string name = "sam")
    {
        var added = await (await gateway.Call(HttpMethod.Post, "/api/agents", ownerToken,
            new { email = $"{name}@{tenantId}.test", password = "agent-password-1", displayName = name, role = "agent" })).Json(System.Net.HttpStatusCode.Created);
        return ((string)added["agentId"]!, await gateway.Login(tenantId, $"{name}@{tenantId}.test", "agent-password-1"));
    }
}
