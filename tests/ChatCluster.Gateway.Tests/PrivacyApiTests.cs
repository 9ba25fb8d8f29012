using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>A gateway whose tenants may choose retention periods of seconds, so expiry is seen over real HTTP.</summary>
public sealed class ShortRetentionGatewayFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:Retention:MinimumPeriod"] = "00:00:02",
        ["ChatCluster:Retention:CheckInterval"] = "00:00:01",
    };
}

/// <summary>The admin privacy API (R1, R2, R4, R5, R7) end to end: token → gateway → grains.</summary>
public sealed class PrivacyApiTests(ShortRetentionGatewayFixture gateway) : IClassFixture<ShortRetentionGatewayFixture>
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task Retention_settings_are_for_admins_only_and_bad_periods_get_clear_problem_details()
    {
        var (tenant, owner, _) = await NewTenant();
        var settings = await Json(await Send(HttpMethod.Get, "/api/settings/retention", owner));
        Assert.Equal(365, (double)settings["periodDays"]!);

        var tooShort = await Send(HttpMethod.Put, "/api/settings/retention", owner, new { period = "00:00:01" });
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        var problem = await Json(tooShort);
        Assert.Equal("invalid_request", (string)problem["code"]!);
        Assert.Contains("between", (string)problem["detail"]!);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(HttpMethod.Put, "/api/settings/retention", owner, new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(HttpMethod.Put, "/api/settings/retention", owner, new { period = "a year" })).StatusCode);

        var set = await Json(await Send(HttpMethod.Put, "/api/settings/retention", owner, new { periodDays = 30, keepRedactedEmail = true }));
        Assert.Equal(30, (double)set["periodDays"]!);
        Assert.True((bool)set["keepRedactedEmail"]!);

        var created = await Send(HttpMethod.Post, "/api/agents", owner, new { email = "agent@" + tenant + ".test", password = Password, displayName = "Al", role = "agent" });
        created.EnsureSuccessStatusCode();
        var agent = await gateway.Login(tenant, "agent@" + tenant + ".test", Password);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Get, "/api/settings/retention", agent)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Send(HttpMethod.Post, "/api/privacy/erasure", agent, new { visitorId = "v_abcdefghij" })).StatusCode);
    }

    [Fact]
    public async Task An_expired_conversation_is_gone_from_the_api_while_the_statistics_still_count_it()
    {
        var (tenant, owner, siteKey) = await NewTenant();
        (await Send(HttpMethod.Put, "/api/settings/retention", owner, new { period = "00:00:03" })).EnsureSuccessStatusCode();
        var (_, conversationId) = await Chat(siteKey);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, $"/api/conversations/{conversationId}", owner)).StatusCode);

        await Eventually(async () => (await Send(HttpMethod.Get, $"/api/conversations/{conversationId}", owner)).StatusCode == HttpStatusCode.NotFound,
            "the conversation expired");

        await Eventually(async () => (long)(await Json(await Send(HttpMethod.Get, "/api/stats", owner)))["totals"]!["expired"]! == 1, "the expiry was counted");
        var totals = (await Json(await Send(HttpMethod.Get, "/api/stats", owner)))["totals"]!;
        Assert.Equal(1, (long)totals["conversationsStarted"]!);
        Assert.Equal(1, (long)totals["visitorMessages"]!);

        var audit = await (await Send(HttpMethod.Get, "/api/audit", owner)).Content.ReadAsStringAsync();
        Assert.Contains("conversationExpired", audit);
        Assert.Contains("conversation:" + conversationId, audit);
        Assert.DoesNotContain("Joanna", audit);
        Assert.DoesNotContain("joanna@example.com", audit);
        _ = tenant;
    }

    [Fact]
    public async Task Erasure_is_immediate_idempotent_and_cannot_reach_another_tenants_visitor()
    {
        var (_, owner, siteKey) = await NewTenant();
        var (_, otherOwner, _) = await NewTenant();
        var (visitorId, conversationId) = await Chat(siteKey);

        var foreign = await Send(HttpMethod.Post, "/api/privacy/erasure", otherOwner, new { visitorId });
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal("not_found", (string)(await Json(foreign))["code"]!);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, $"/api/conversations/{conversationId}", owner)).StatusCode);

        var erased = await Json(await Send(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId }));
        Assert.Equal(1, (int)erased["conversationsErased"]!);
        Assert.False((bool)erased["alreadyErased"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, $"/api/conversations/{conversationId}", owner)).StatusCode);

        var again = await Json(await Send(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId }));
        Assert.True((bool)again["alreadyErased"]!);

        Assert.Equal(HttpStatusCode.BadRequest, (await Send(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId = "../etc" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(HttpMethod.Post, "/api/privacy/erasure", owner, new { })).StatusCode);
        var audit = await (await Send(HttpMethod.Get, "/api/audit", owner)).Content.ReadAsStringAsync();
        Assert.Contains("visitorErased", audit);
    }

    [Fact]
    public async Task Erasure_of_a_held_visitor_answers_409_until_the_hold_is_lifted()
    {
        var (_, owner, siteKey) = await NewTenant();
        var (visitorId, conversationId) = await Chat(siteKey);
        (await Send(HttpMethod.Put, $"/api/privacy/holds/visitors/{visitorId}", owner, new { reason = "Chargeback dispute #4411" })).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(HttpMethod.Put, $"/api/privacy/holds/conversations/{conversationId}", owner, new { })).StatusCode);

        var refused = await Send(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("legal hold", (string)(await Json(refused))["detail"]!);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, $"/api/conversations/{conversationId}", owner)).StatusCode);

        (await Send(HttpMethod.Delete, $"/api/privacy/holds/visitors/{visitorId}", owner)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Put, $"/api/privacy/holds/visitors/{visitorId}", owner, new { reason = "late" })).StatusCode);
    }

    [Theory]
    [InlineData("from=2025-13-01", "not a date")]
    [InlineData("from=2025-03-02&to=2025-03-01", "after")]
    [InlineData("from=2020-01-01&to=2025-01-01", "at most 366 days")]
    public async Task Statistics_ranges_that_make_no_sense_get_clear_errors(string query, string expected)
    {
        var (_, owner, _) = await NewTenant();
        var response = await Send(HttpMethod.Get, "/api/stats?" + query, owner);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, (string)(await Json(response))["detail"]!);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/api/stats?from=2025-01-01&to=2025-12-31", owner)).StatusCode);
    }

    private async Task<(string Tenant, string OwnerToken, string SiteKey)> NewTenant()
    {
        var tenant = "p-" + Ids.Random(6);
        var siteKey = await gateway.CreateTenant(tenant, "owner@" + tenant + ".test", Password);
        return (tenant, await gateway.Login(tenant, "owner@" + tenant + ".test", Password), siteKey);
    }

    /// <summary>A visitor with a name and email starts a conversation and writes one message.</summary>
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

    private static async Task<JsonObject> Json(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>()) ?? throw new InvalidOperationException("Empty body.");

    private static async Task Eventually(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new Xunit.Sdk.XunitException($"Timed out after {seconds}s waiting until {what}.");
            await Task.Delay(200);
        }
    }
}
