using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChatCluster.Privacy;
using ChatCluster.Visitors;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Gateway.Tests;

/// <summary>R5 rights for an admin acting on a verified request, and R7 audit of admin reads of personal data.</summary>
public sealed class SubjectRightsApiTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task An_export_holds_everything_about_the_person_as_json_and_html_and_is_audited_without_the_data()
    {
        var (_, owner, siteKey) = await NewTenant();
        var (visitorId, conversationId) = await Chat(siteKey);

        var response = await Send(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export", owner);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var export = await Json(response);
        Assert.Equal("Joanna", (string)export["visitor"]!["name"]!);
        Assert.Equal("joanna@example.com", (string)export["visitor"]!["email"]!);
        Assert.NotNull((string?)export["visitor"]!["lastConnection"]!["ipAddress"]);
        Assert.Equal("https://shop.example/pricing", (string)export["visitor"]!["lastConnection"]!["pageUrl"]!);
        var conversation = export["conversations"]![0]!;
        Assert.Equal(conversationId, (string)conversation["summary"]!["conversationId"]!);
        Assert.Equal("joanna@example.com", (string)conversation["contact"]!["email"]!);
        Assert.Equal("Please call me back", (string)conversation["messages"]![0]!["text"]!);

        var html = await (await Send(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export?format=html", owner)).Content.ReadAsStringAsync();
        Assert.Contains("Please call me back", html);
        Assert.Contains("<h1>", html);

        var audit = await (await Send(HttpMethod.Get, "/api/audit", owner)).Content.ReadAsStringAsync();
        Assert.Contains("subjectExported", audit);
        Assert.Contains("visitor:" + visitorId, audit);
        Assert.DoesNotContain("Joanna", audit);
        Assert.DoesNotContain("Please call me back", audit);
    }

    [Fact]
    public async Task Reading_a_transcript_is_audited_by_conversation_id()
    {
        var (_, owner, siteKey) = await NewTenant();
        var (_, conversationId) = await Chat(siteKey);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, $"/api/conversations/{conversationId}", owner)).StatusCode);
        var audit = await (await Send(HttpMethod.Get, "/api/audit", owner)).Content.ReadAsStringAsync();
        Assert.Contains("transcriptRead", audit);
        Assert.Contains("conversation:" + conversationId, audit);
        Assert.DoesNotContain("Please call me back", audit);
    }

    [Fact]
    public async Task Rectification_corrects_the_visitor_and_their_conversations()
    {
        var (tenant, owner, siteKey) = await NewTenant();
        var (visitorId, conversationId) = await Chat(siteKey);
        var fixedProfile = await Json(await Send(HttpMethod.Patch, $"/api/privacy/subjects/{visitorId}", owner, new { name = "Joanne", email = "joanne@example.org" }));
        Assert.Equal("Joanne", (string)fixedProfile["name"]!);

        var export = await Json(await Send(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export", owner));
        Assert.Equal("joanne@example.org", (string)export["conversations"]![0]!["contact"]!["email"]!);
        Assert.Equal("Joanne", (string)export["conversations"]![0]!["contact"]!["name"]!);

        var bad = await Send(HttpMethod.Patch, $"/api/privacy/subjects/{visitorId}", owner, new { email = "not-an-email" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        _ = (tenant, conversationId);
    }

    [Fact]
    public async Task Restriction_and_objection_flag_the_visitor_for_analytics_and_AI()
    {
        var (tenant, owner, siteKey) = await NewTenant();
        var (visitorId, _) = await Chat(siteKey);
        var visitor = gateway.Services.GetRequiredService<IClusterClient>().GetGrain<IVisitorGrain>(GrainKeys.Scoped(tenant, visitorId));
        Assert.False(await visitor.IsProcessingRestricted());

        var objected = await Json(await Send(HttpMethod.Put, $"/api/privacy/subjects/{visitorId}/restrictions", owner, new { objected = true }));
        Assert.True((bool)objected["objected"]!);
        Assert.True(await visitor.IsProcessingRestricted());

        await Send(HttpMethod.Put, $"/api/privacy/subjects/{visitorId}/restrictions", owner, new { objected = false, restricted = true });
        Assert.True(await visitor.IsProcessingRestricted());
    }

    [Fact]
    public async Task Every_request_is_tracked_with_a_30_day_due_date_and_another_tenants_visitor_is_not_found()
    {
        var (_, owner, siteKey) = await NewTenant();
        var (_, otherOwner, _) = await NewTenant();
        var (visitorId, _) = await Chat(siteKey);

        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export", otherOwner)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, "/api/privacy/subjects/not-a-visitor/export", owner)).StatusCode);
        (await Send(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export", owner)).EnsureSuccessStatusCode();
        (await Send(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId })).EnsureSuccessStatusCode();

        var requests = (await Json(await Send(HttpMethod.Get, "/api/privacy/requests", owner)))["requests"]!.AsArray();
        Assert.Equal(["erasure", "access"], requests.Select(r => (string)r!["kind"]!));
        Assert.All(requests, r =>
        {
            Assert.Equal("completed", (string)r!["status"]!);
            Assert.Equal("visitor:" + visitorId, (string)r["subject"]!);
            Assert.Equal(PrivacyRequest.AnswerWithin, DateTimeOffset.Parse((string)r["dueAt"]!) - DateTimeOffset.Parse((string)r["receivedAt"]!));
        });
        var foreign = (await Json(await Send(HttpMethod.Get, "/api/privacy/requests", otherOwner)))["requests"]!.AsArray();
        Assert.Equal("refused", (string)foreign.Single()!["status"]!);

        // After erasure there is nothing left to export.
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export", owner)).StatusCode);
    }

    private async Task<(string Tenant, string OwnerToken, string SiteKey)> NewTenant()
    {
        var tenant = "r-" + Ids.Random(6);
        var siteKey = await gateway.CreateTenant(tenant, "owner@" + tenant + ".test", Password);
        return (tenant, await gateway.Login(tenant, "owner@" + tenant + ".test", Password), siteKey);
    }

    private async Task<(string VisitorId, string ConversationId)> Chat(string siteKey)
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var welcome = await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation(name: "Joanna", email: "joanna@example.com");
        await visitor.SendMessage(conversationId, "m-1", "Please call me back");
        return ((string)welcome["visitorId"]!, conversationId);
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await gateway.Http.SendAsync(request);
    }

    private static async Task<JsonObject> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new Xunit.Sdk.XunitException($"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
