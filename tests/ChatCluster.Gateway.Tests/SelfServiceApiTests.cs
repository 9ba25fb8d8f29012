using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChatCluster.Privacy;
using ChatCluster.Silo.Hosting.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Gateway.Tests;

/// <summary>R5 self-service: a visitor proves control of their email with a mailed code, then exports or erases their data.</summary>
public sealed partial class SelfServiceApiTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task A_visitor_gets_a_code_by_mail_trades_it_for_a_token_and_exports_and_erases_their_data()
    {
        var (tenant, owner, siteKey) = await NewTenant();
        var email = $"jo-{Ids.Random(5)}@example.com";
        var visitorId = await Chat(siteKey, email);

        var verify = await Post("/api/privacy/self/verify", new { siteKey, email = email.ToUpperInvariant() });
        Assert.Equal(HttpStatusCode.Accepted, verify.StatusCode);
        var code = await MailedCode(tenant, email);

        var wrong = await Post("/api/privacy/self/confirm", new { siteKey, email, code = code == "000000" ? "111111" : "000000" });
        await AssertProblem(wrong, HttpStatusCode.Unauthorized, "invalid_code");
        var token = (string)(await Json(await Post("/api/privacy/self/confirm", new { siteKey, email, code })))["token"]!;
        await AssertProblem(await Post("/api/privacy/self/confirm", new { siteKey, email, code }), HttpStatusCode.Unauthorized, "invalid_code");

        var export = await Json(await Send(HttpMethod.Get, "/api/privacy/self/export", token));
        var only = export["visitors"]!.AsArray().Single()!;
        Assert.Equal(visitorId, (string)only["visitorId"]!);
        Assert.Equal(email, (string)only["visitor"]!["email"]!);
        Assert.Equal("Please delete me", (string)only["conversations"]![0]!["messages"]![0]!["text"]!);

        var erased = await Json(await Send(HttpMethod.Post, "/api/privacy/self/erasure", token));
        Assert.Equal(visitorId, (string)erased["visitors"]![0]!["visitorId"]!);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export", owner)).StatusCode);
        // Nothing is held about the address any more: the token, the index entry and the mailed code are gone too.
        await AssertProblem(await Send(HttpMethod.Get, "/api/privacy/self/export", token), HttpStatusCode.Unauthorized, "invalid_token");
        Assert.False(Directory.Exists(await MailFolder(tenant, email)));

        var requests = (await Json(await Send(HttpMethod.Get, "/api/privacy/requests", owner)))["requests"]!.AsArray()
            .Where(r => ((string)r!["receivedBy"]!).StartsWith("self:", StringComparison.Ordinal)).ToList(); // the owner's refused export above is not ours
        Assert.Equal(["erasure", "access"], requests.Select(r => (string)r!["kind"]!));
        Assert.All(requests, r =>
        {
            Assert.Equal("visitor:" + visitorId, (string)r!["subject"]!);
            Assert.Equal("completed", (string)r["status"]!);
            Assert.Equal(PrivacyRequest.AnswerWithin, DateTimeOffset.Parse((string)r["dueAt"]!) - DateTimeOffset.Parse((string)r["receivedAt"]!));
        });
        var audit = await (await Send(HttpMethod.Get, "/api/audit", owner)).Content.ReadAsStringAsync();
        Assert.Contains("self:e_", audit);
        Assert.DoesNotContain(email, audit, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Verify_never_tells_whether_an_address_is_known_rejects_malformed_ones_and_is_rate_limited()
    {
        var (tenant, _, siteKey) = await NewTenant();
        var unknown = $"nobody-{Ids.Random(5)}@example.com";
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Accepted, (await Post("/api/privacy/self/verify", new { siteKey, email = unknown })).StatusCode);
        Assert.False(Directory.Exists(await MailFolder(tenant, unknown)));
        await AssertProblem(await Post("/api/privacy/self/verify", new { siteKey, email = unknown }), HttpStatusCode.TooManyRequests, "rate_limited");

        await AssertProblem(await Post("/api/privacy/self/verify", new { siteKey, email = "not-an-email" }), HttpStatusCode.BadRequest, "invalid_request");
        await AssertProblem(await Post("/api/privacy/self/confirm", new { siteKey, email = unknown, code = "123456" }), HttpStatusCode.Unauthorized, "invalid_code");
        await AssertProblem(await Send(HttpMethod.Get, "/api/privacy/self/export", "garbage"), HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task A_self_token_reaches_only_its_own_tenants_visitors()
    {
        var (tenantA, _, siteA) = await NewTenant();
        var (tenantB, _, siteB) = await NewTenant();
        var email = $"both-{Ids.Random(5)}@example.com";
        var inA = await Chat(siteA, email);
        var inB = await Chat(siteB, email);
        Assert.NotEqual(await LocalId(tenantA, email), await LocalId(tenantB, email));

        await Post("/api/privacy/self/verify", new { siteKey = siteA, email });
        var code = await MailedCode(tenantA, email);
        var token = (string)(await Json(await Post("/api/privacy/self/confirm", new { siteKey = siteA, email, code })))["token"]!;
        var export = await Json(await Send(HttpMethod.Get, "/api/privacy/self/export", token));
        Assert.Equal([inA], export["visitors"]!.AsArray().Select(v => (string)v!["visitorId"]!));

        // The token names its tenant and address hash; pointing it at the other tenant fails there.
        var parts = token.Split('.');
        var forged = $"{tenantB}.{await LocalId(tenantB, email)}.{parts[2]}";
        await AssertProblem(await Send(HttpMethod.Get, "/api/privacy/self/export", forged), HttpStatusCode.Unauthorized, "invalid_token");
        await AssertProblem(await Send(HttpMethod.Post, "/api/privacy/self/erasure", forged), HttpStatusCode.Unauthorized, "invalid_token");
        // A code of tenant A is no good at tenant B either.
        await AssertProblem(await Post("/api/privacy/self/confirm", new { siteKey = siteB, email, code }), HttpStatusCode.Unauthorized, "invalid_code");
        _ = inB;
    }

    [Fact]
    public async Task After_an_index_key_change_the_operator_rebuilds_the_index_and_self_service_finds_the_visitor_again()
    {
        var (tenant, owner, siteKey) = await NewTenant();
        var email = $"moved-{Ids.Random(5)}@example.com";
        var visitorId = await Chat(siteKey, email);
        var grains = gateway.Services.GetRequiredService<IClusterClient>();
        // A new key finds no record for the address: the operator deleted the old key's records (privacy.md §6).
        await grains.GetGrain<ISelfServiceGrain>(await grains.GetGrain<IEmailIndexGrain>(tenant).Locate(email)).Purge([]);
        Assert.Equal(HttpStatusCode.Accepted, (await Post("/api/privacy/self/verify", new { siteKey, email })).StatusCode);
        await Task.Delay(300);
        Assert.False(Directory.Exists(await MailFolder(tenant, email))); // an unknown address: no code

        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.Http.PostAsync($"/api/tenants/{tenant}/email-index/rebuild", null)).StatusCode);
        // The tenant's own owner is no operator: a team token does not open the operator API, not even for its tenant.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(HttpMethod.Post, $"/api/tenants/{tenant}/email-index/rebuild", owner)).StatusCode);
        await AssertProblem(await gateway.OperatorCall(HttpMethod.Post, "/api/tenants/no-such-tenant-q/email-index/rebuild"), HttpStatusCode.NotFound, "not_found");
        await AssertProblem(await gateway.OperatorCall(HttpMethod.Post, "/api/tenants/NOT%20A%20TENANT/email-index/rebuild"), HttpStatusCode.NotFound, "not_found");
        var rebuilt = await Json(await gateway.OperatorCall(HttpMethod.Post, $"/api/tenants/{tenant}/email-index/rebuild"));
        Assert.Equal((1, 1), ((int)rebuilt["visitors"]!, (int)rebuilt["indexed"]!));

        Assert.Equal(HttpStatusCode.Accepted, (await Post("/api/privacy/self/verify", new { siteKey, email })).StatusCode);
        var code = await MailedCode(tenant, email);
        var token = (string)(await Json(await Post("/api/privacy/self/confirm", new { siteKey, email, code })))["token"]!;
        var export = await Json(await Send(HttpMethod.Get, "/api/privacy/self/export", token));
        Assert.Equal([visitorId], export["visitors"]!.AsArray().Select(v => (string)v!["visitorId"]!));

        var audit = await (await Send(HttpMethod.Get, "/api/audit", owner)).Content.ReadAsStringAsync();
        Assert.Contains("emailIndexRebuilt", audit);
        Assert.DoesNotContain(email, audit, StringComparison.OrdinalIgnoreCase);
    }


    /// <summary>The address's id in the tenant's email index, as the silo (which holds the key) computes it.</summary>
    private async Task<string> LocalId(string tenant, string email) =>
        GrainKeys.Split(await gateway.Services.GetRequiredService<IClusterClient>().GetGrain<IEmailIndexGrain>(tenant).Locate(email)).LocalId;

    private async Task<string> MailFolder(string tenant, string email) =>
        Path.Combine(Outbox.Root, tenant, await LocalId(tenant, email));

    /// <summary>The embedded default's outbox: sealed files (S1), opened here with the process's key ring.</summary>
    private OutboxMailSender Outbox => gateway.Services.GetRequiredService<OutboxMailSender>();

    private async Task<string> MailedCode(string tenant, string email)
    {
        var localId = await LocalId(tenant, email);
        // The code mail is queued (issue 15): wait for its file, not just the folder.
        IReadOnlyList<string> mails = [];
        for (var i = 0; i < 200 && (mails = await Outbox.Read(tenant, localId)).Count == 0; i++) await Task.Delay(50);
        Assert.NotEmpty(mails);
        var folder = await MailFolder(tenant, email);
        foreach (var file in Directory.EnumerateFiles(folder))
            Assert.DoesNotContain(email, System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)), StringComparison.OrdinalIgnoreCase);
        var match = CodePattern().Match(mails[^1]);
        Assert.True(match.Success, "the mail holds a six-digit code");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"code is (\d{6})")]
    private static partial Regex CodePattern();

    private async Task<(string Tenant, string OwnerToken, string SiteKey)> NewTenant()
    {
        var tenant = "s-" + Ids.Random(6);
        var siteKey = await gateway.CreateTenant(tenant, "owner@" + tenant + ".test", Password);
        return (tenant, await gateway.Login(tenant, "owner@" + tenant + ".test", Password), siteKey);
    }

    private async Task<string> Chat(string siteKey, string email)
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var welcome = await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation(name: "Jo", email: email);
        await visitor.SendMessage(conversationId, "m-1", "Please delete me");
        return (string)welcome["visitorId"]!;
    }

    private Task<HttpResponseMessage> Post(string path, object body) => gateway.Http.PostAsJsonAsync(path, body);

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string token)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await gateway.Http.SendAsync(request);
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal(code, (string)JsonNode.Parse(text)!["code"]!);
    }

    private static async Task<JsonObject> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new Xunit.Sdk.XunitException($"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
