using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>The admin reports API (A1): JSON and CSV from anonymised counters, clear errors for bad ranges, own tenant only.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ReportApiTests(GatewayFixture gateway)
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task A_report_counts_the_tenants_conversations_messages_first_responses_and_agents()
    {
        var (tenant, owner, siteKey) = await NewTenant();
        var (_, otherOwner, _) = await NewTenant();
        await using (var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json))
        await using (var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json))
        {
            await visitor.HelloVisitor(siteKey);
            var conversationId = await visitor.StartConversation(name: "Joanna", email: "joanna@example.com");
            await visitor.SendMessage(conversationId, "m-1", "Where is my parcel?");
            await agent.HelloAgent(owner);
            await agent.SendMessage(conversationId, "a-1", "Looking now.");
        }

        JsonObject report = null!;
        await Eventually(async () => (long)(report = await Json(await Get("/api/reports", owner)))["totals"]!["firstResponse"]!["count"]! == 1,
            "the first response was counted");
        var totals = report["totals"]!;
        Assert.Equal(1, (long)totals["conversations"]!);
        Assert.Equal(2, (long)totals["messages"]!);
        Assert.NotNull(totals["firstResponse"]!["medianSeconds"]);
        Assert.Equal("UTC", (string)report["timeZone"]!);
        Assert.Equal(30, report["series"]!.AsArray().Count);
        Assert.Equal(24, report["hourOfDay"]!.AsArray().Count);
        Assert.Single(report["busiestHours"]!.AsArray());
        var agents = report["agents"]!.AsArray();
        Assert.Equal("Owner of " + tenant, (string)agents.Single()!["displayName"]!);
        Assert.Equal(1, (long)agents.Single()!["conversations"]!);
        Assert.DoesNotContain("Joanna", report.ToJsonString());
        var country = Assert.Single(report["countries"]!.AsArray())!; // no country table here: unknown
        Assert.Equal(("ZZ", 1L), ((string)country["country"]!, (long)country["conversations"]!));

        var hourly = await Json(await Get("/api/reports?granularity=hour&from=" + Today() + "&to=" + Today(), owner));
        Assert.Equal(24, hourly["series"]!.AsArray().Count);
        Assert.Equal(1, hourly["series"]!.AsArray().Sum(p => (long)p!["conversations"]!));

        var csv = await Get("/api/reports.csv?from=" + Today() + "&to=" + Today(), owner);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("period,conversations,messages,", lines[0]);
        Assert.StartsWith(Today() + ",1,2,", lines[1]);
        Assert.Equal(2, lines.Length);

        var other = await Json(await Get("/api/reports", otherOwner));
        Assert.Equal(0, (long)other["totals"]!["conversations"]!);
    }

    [Theory]
    [InlineData("/api/reports?from=2025-13-01", "not a date")]
    [InlineData("/api/reports?from=yesterday", "not a date")]
    [InlineData("/api/reports?from=2025-03-02&to=2025-03-01", "after")]
    [InlineData("/api/reports?from=2020-01-01&to=2025-01-01", "at most 366 days")]
    [InlineData("/api/reports?from=2025-01-01&to=2025-03-01&granularity=hour", "at most 31 days")]
    [InlineData("/api/reports?granularity=week", "day or hour")]
    [InlineData("/api/reports?from=2999-01-01&to=2999-01-02", "future")]
    [InlineData("/api/reports?tenant=demo", "your own tenant")]
    [InlineData("/api/reports?tenantId=demo&from=2025-01-01", "your own tenant")]
    [InlineData("/api/reports?form=2025-01-01", "Unknown parameter")]
    [InlineData("/api/reports.csv?from=2020-01-01&to=2025-01-01", "at most 366 days")]
    public async Task Report_requests_that_make_no_sense_get_problem_details_with_a_code(string path, string expected)
    {
        var (_, owner, _) = await NewTenant();
        var response = await Get(path, owner);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await Json(response);
        Assert.Equal("invalid_request", (string)problem["code"]!);
        Assert.Contains(expected, (string)problem["detail"]!);
    }

    [Fact]
    public async Task Reports_are_for_admins_only()
    {
        var (tenant, owner, _) = await NewTenant();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/agents"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner);
            request.Content = JsonContent.Create(new { email = "agent@" + tenant + ".test", password = Password, displayName = "Al", role = "agent" });
            (await gateway.Http.SendAsync(request)).EnsureSuccessStatusCode();
        }
        var agent = await gateway.Login(tenant, "agent@" + tenant + ".test", Password);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get("/api/reports", agent)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Get("/api/reports.csv", agent)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.Http.GetAsync("/api/reports")).StatusCode);
    }

    private static string Today() => DateTime.UtcNow.ToString("yyyy-MM-dd");

    private async Task<(string Tenant, string OwnerToken, string SiteKey)> NewTenant()
    {
        var tenant = "r-" + Ids.Random(6);
        var siteKey = await gateway.CreateTenant(tenant, "owner@" + tenant + ".test", Password);
        return (tenant, await gateway.Login(tenant, "owner@" + tenant + ".test", Password), siteKey);
    }

    private async Task<HttpResponseMessage> Get(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
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
