using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChatCluster.Visitors;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Gateway.Tests;

/// <summary>A gateway whose AI provider is a recording OpenAI-compatible server on loopback, with a 2-second timeout.</summary>
public sealed class RemoteAiGatewayFixture : GatewayFixture
{
    public FakeAiProvider Provider { get; } = new();

    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:Ai:Provider"] = "OpenAICompatible",
        ["ChatCluster:Ai:Endpoint"] = Provider.Endpoint.ToString(),
        ["ChatCluster:Ai:Model"] = "fake-model",
        ["ChatCluster:Ai:ApiKey"] = "test-key",
        ["ChatCluster:Ai:Timeout"] = "00:00:02",
    };
}

/// <summary>
/// A2, R5: a remote AI provider sees only pseudonymised text, nothing at all of opted-out tenants or objecting
/// persons, and a failing or hanging provider costs a status, never the chat.
/// </summary>
public sealed class AiInsightsTests(RemoteAiGatewayFixture gateway) : IClassFixture<RemoteAiGatewayFixture>
{
    private const string Password = "correct-horse-battery";
    private const string VisitorName = "Joanna Tester";
    private const string VisitorEmail = "joanna.tester@example.com";

    private static readonly string[] PersonalData =
    [
        "Joanna", "Tester", "joanna.tester@example.com", "j.tester@mailbox.org", "+44 7700 900123", "7700 900123", "203.0.113.77",
        "2001:db8:85a3::8a2e:370:7334", "4111 1111 1111 1111", "4111111111111111", "221B Baker Street", "NW1 6XE", "Margarethe Vogel",
        "Vogel", "Hauptstraße 12",
    ];

    [Fact]
    public async Task No_name_email_phone_ip_card_or_address_from_the_conversation_reaches_the_remote_provider()
    {
        var (tenant, owner, siteKey) = await NewTenant(aiEnabled: true);
        var before = gateway.Provider.Requests.Count;
        var (_, conversationId) = await Chat(siteKey, owner,
            "Hi, my name is Joanna Tester and my parcel never arrived. Email me at joanna.tester@example.com or j.tester@mailbox.org.",
            "You can call +44 7700 900123. I ordered from 203.0.113.77 and 2001:db8:85a3::8a2e:370:7334 and paid with 4111 1111 1111 1111.",
            "Deliver to 221B Baker Street, London NW1 6XE please, or to my sister Margarethe Vogel, Hauptstraße 12.");

        var answer = await Json(await Get($"/api/conversations/{conversationId}/insights", owner));
        Assert.Equal("ok", (string)answer["status"]!);
        Assert.Equal("negative", (string)answer["sentiment"]!);
        Assert.Contains("Joanna", (string)answer["summary"]!); // re-identified for the agent, inside the gateway
        Assert.DoesNotContain("[NAME_", (string)answer["summary"]!);

        var request = Assert.Single(gateway.Provider.Requests.Skip(before));
        var prompt = request.Prompt;
        foreach (var personal in PersonalData.Append("Owner of " + tenant))
            Assert.DoesNotContain(personal, prompt, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("[EMAIL_1]", prompt);
        Assert.Contains("[NAME_", prompt);
        Assert.Contains("[PHONE_1]", prompt);
        Assert.Contains("[IP_1]", prompt);
        Assert.Contains("[CARD_1]", prompt);
        Assert.Contains("[ADDRESS_1]", prompt);
        Assert.Contains("parcel never arrived", prompt); // the rest of the text is still there to analyse
        Assert.Equal("true", request.Headers["X-ChatCluster-Training-Opt-Out"]);
        Assert.False((bool)JsonNode.Parse(request.Body)!["store"]!);

        var log = await Get("/api/ai/calls", owner);
        var call = Assert.Single((await Json(log))["calls"]!.AsArray())!;
        Assert.Equal("openai-compatible", (string)call["provider"]!);
        Assert.True((bool)call["remote"]!);
        Assert.Equal("ok", (string)call["outcome"]!);
        Assert.Equal("conversation:" + conversationId, (string)call["subject"]!);
        foreach (var kind in (string[])["name", "email", "phone", "ip", "card", "address"])
            Assert.True((int)call["redactions"]![kind]! >= 1, kind + " redactions are counted");
        var logText = call.ToJsonString();
        foreach (var personal in PersonalData) Assert.DoesNotContain(personal, logText, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_tenant_that_has_not_switched_ai_on_and_a_visitor_who_objected_produce_no_request_at_all()
    {
        var (_, offOwner, offSiteKey) = await NewTenant(aiEnabled: false);
        var (tenant, owner, siteKey) = await NewTenant(aiEnabled: true);
        var before = gateway.Provider.Requests.Count;

        var (_, offConversation) = await Chat(offSiteKey, offOwner, "My name is Joanna Tester, joanna.tester@example.com");
        var disabled = await Json(await Get($"/api/conversations/{offConversation}/insights", offOwner));
        Assert.Equal("disabled", (string)disabled["status"]!);

        var (visitorId, conversationId) = await Chat(siteKey, owner, "My name is Joanna Tester, joanna.tester@example.com");
        var grains = gateway.Services.GetRequiredService<IClusterClient>();
        await grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped(tenant, visitorId)).SetRestrictions(new Privacy.ProcessingRestrictions(Restricted: false, Objected: true));
        var restricted = await Json(await Get($"/api/conversations/{conversationId}/insights", owner));
        Assert.Equal("restricted", (string)restricted["status"]!);
        Assert.Null(restricted["summary"]);

        Assert.Equal(before, gateway.Provider.Requests.Count);
        var call = Assert.Single((await Json(await Get("/api/ai/calls", owner)))["calls"]!.AsArray())!;
        Assert.Equal("restricted", (string)call["outcome"]!);
        Assert.Equal("none", (string)call["provider"]!);
        Assert.Equal(0, (int)call["requestChars"]!);
    }

    [Fact]
    public async Task A_failing_or_hanging_provider_gives_a_clear_status_while_chat_keeps_working()
    {
        var (_, owner, siteKey) = await NewTenant(aiEnabled: true);
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation(VisitorName, VisitorEmail);
        await visitor.SendMessage(conversationId, "m-1", "Where is my parcel?");

        try
        {
            gateway.Provider.Mode = FakeAiProvider.Behaviour.Fail;
            var failed = await Json(await Get($"/api/conversations/{conversationId}/insights", owner));
            Assert.Equal("unavailable", (string)failed["status"]!);
            Assert.Contains("Chat is not affected", (string)failed["message"]!);
            await visitor.SendMessage(conversationId, "m-2", "Still there?");

            gateway.Provider.Mode = FakeAiProvider.Behaviour.Hang;
            var clock = Stopwatch.StartNew();
            var pending = Get($"/api/conversations/{conversationId}/insights", owner);
            var ack = await visitor.SendMessage(conversationId, "m-3", "Hello?"); // while the provider hangs
            Assert.Equal(3, (long)ack["seq"]!);
            var timedOut = await Json(await pending);
            Assert.Equal("timeout", (string)timedOut["status"]!);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));
        }
        finally
        {
            gateway.Provider.Mode = FakeAiProvider.Behaviour.Answer;
        }

        var outcomes = (await Json(await Get("/api/ai/calls", owner)))["calls"]!.AsArray().Select(c => (string)c!["outcome"]!).ToList();
        Assert.Equal(["unavailable", "timeout"], outcomes);
        var history = await Get($"/api/conversations/{conversationId}", owner);
        Assert.Equal(HttpStatusCode.OK, history.StatusCode);
    }

    private async Task<(string Tenant, string OwnerToken, string SiteKey)> NewTenant(bool aiEnabled)
    {
        var tenant = "ai-" + Ids.Random(6);
        var siteKey = await gateway.CreateTenant(tenant, "owner@" + tenant + ".test", Password);
        var owner = await gateway.Login(tenant, "owner@" + tenant + ".test", Password);
        if (aiEnabled)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, "/api/settings/ai") { Content = JsonContent.Create(new { enabled = true }) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner);
            (await gateway.Http.SendAsync(request)).EnsureSuccessStatusCode();
        }
        return (tenant, owner, siteKey);
    }

    /// <summary>The visitor writes <paramref name="lines"/>; the tenant's owner answers by name.</summary>
    private async Task<(string VisitorId, string ConversationId)> Chat(string siteKey, string ownerToken, params string[] lines)
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var welcome = await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation(VisitorName, VisitorEmail);
        for (var i = 0; i < lines.Length; i++) await visitor.SendMessage(conversationId, $"m-{i}", lines[i]);
        await agent.HelloAgent(ownerToken);
        await agent.SendMessage(conversationId, "a-1", "Hi Joanna, I am sorry about that, let me check the delivery.");
        return ((string)welcome["visitorId"]!, conversationId);
    }

    private async Task<HttpResponseMessage> Get(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await gateway.Http.SendAsync(request);
    }

    private static async Task<JsonObject> Json(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>()) ?? throw new InvalidOperationException("Empty body.");
}
