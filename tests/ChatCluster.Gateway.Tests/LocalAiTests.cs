using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>A2 out of the box: the built-in local provider needs no network and is off until an admin turns it on.</summary>
[Collection(GatewayCollection.Name)]
public sealed class LocalAiTests(GatewayFixture gateway)
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task Ai_is_off_by_default_and_once_on_the_local_provider_gives_sentiment_summary_and_a_weekly_digest()
    {
        var tenant = "l-" + Ids.Random(6);
        var siteKey = await gateway.CreateTenant(tenant, "owner@" + tenant + ".test", Password);
        var owner = await gateway.Login(tenant, "owner@" + tenant + ".test", Password);
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation("Joanna Tester", "joanna@example.com");
        await visitor.SendMessage(conversationId, "m-1", "This is terrible. My parcel never arrived and I am really angry about the delay.");
        await visitor.SendMessage(conversationId, "m-2", "I want a refund, call me on 07700 900123.");

        var settings = await Json(await Send(HttpMethod.Get, "/api/settings/ai", owner));
        Assert.False((bool)settings["enabled"]!);
        Assert.True((bool)settings["modelTrainingOptOut"]!);
        Assert.Equal("local", (string)settings["provider"]!);
        Assert.Equal("disabled", (string)(await Json(await Send(HttpMethod.Get, $"/api/conversations/{conversationId}/insights", owner)))["status"]!);
        Assert.Equal("disabled", (string)(await Json(await Send(HttpMethod.Get, "/api/insights/weekly", owner)))["status"]!);

        (await Send(HttpMethod.Put, "/api/settings/ai", owner, new { enabled = true })).EnsureSuccessStatusCode();
        var insights = await Json(await Send(HttpMethod.Get, $"/api/conversations/{conversationId}/insights", owner));
        Assert.Equal("ok", (string)insights["status"]!);
        Assert.Equal("local", (string)insights["provider"]!);
        Assert.Equal("negative", (string)insights["sentiment"]!);
        Assert.Contains("parcel never arrived", (string)insights["summary"]!);
        Assert.DoesNotContain("[PHONE_", (string)insights["summary"]!);

        var digest = await Json(await Send(HttpMethod.Get, "/api/insights/weekly", owner));
        Assert.Equal("ok", (string)digest["status"]!);
        Assert.Contains("conversations", (string)digest["text"]!);

        var calls = (await Json(await Send(HttpMethod.Get, "/api/ai/calls", owner)))["calls"]!.AsArray();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.False((bool)c!["remote"]!));
        Assert.Equal(1, (int)calls[0]!["redactions"]!["phone"]!);
    }

    [Fact]
    public async Task Ai_settings_and_the_call_log_are_for_admins_and_bad_settings_get_problem_details()
    {
        var tenant = "l-" + Ids.Random(6);
        await gateway.CreateTenant(tenant, "owner@" + tenant + ".test", Password);
        var owner = await gateway.Login(tenant, "owner@" + tenant + ".test", Password);
        (await Send(HttpMethod.Post, "/api/agents", owner, new { email = "agent@" + tenant + ".test", password = Password, displayName = "Al", role = "agent" }))
            .EnsureSuccessStatusCode();
        var agent = await gateway.Login(tenant, "agent@" + tenant + ".test", Password);

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await Send(HttpMethod.Put, "/api/settings/ai", agent, new { enabled = true })).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await Send(HttpMethod.Get, "/api/ai/calls", agent)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await Send(HttpMethod.Get, "/api/insights/weekly", agent)).StatusCode);
        var empty = await Send(HttpMethod.Put, "/api/settings/ai", owner, new { });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal("missing_field", (string)(await Json(empty))["code"]!);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await Send(HttpMethod.Get, "/api/ai/calls?from=2020-01-01&to=2025-01-01", owner)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await Send(HttpMethod.Get, "/api/conversations/c_doesnotexist1234/insights", agent)).StatusCode);
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await gateway.Http.SendAsync(request);
    }

    private static async Task<JsonObject> Json(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>()) ?? throw new InvalidOperationException("Empty body.");
}
