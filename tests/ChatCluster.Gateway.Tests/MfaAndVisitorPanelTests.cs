using System.Net;
using System.Net.Http.Json;
using ChatCluster.Privacy;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace ChatCluster.Gateway.Tests;

/// <summary>T2 two-step login with TOTP over HTTP, and the agents' visitor panel (W4, R7).</summary>
[Collection(GatewayCollection.Name)]
public sealed class MfaAndVisitorPanelTests(GatewayFixture gateway)
{
    private static string Code(string secret, int stepOffset = 0) =>
        new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow.AddSeconds(30 * stepOffset));

    private Task<HttpResponseMessage> Login(string tenantId, string? totp) => gateway.Http.PostAsJsonAsync("/api/auth/login",
        new { tenantId, email = $"owner@{tenantId}.test", password = "owner-password-1", totp });

    [Fact]
    public async Task Enrolment_needs_a_login()
    {
        await (await gateway.Call(HttpMethod.Post, "/api/me/totp/enrol", null)).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
        await (await gateway.Call(HttpMethod.Post, "/api/me/totp/enrol", "not.a.token")).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
    }

    [Fact]
    public async Task With_totp_enabled_login_takes_two_steps_and_refuses_wrong_old_and_reused_codes()
    {
        var (tenantId, _, token) = await gateway.FreshTenant("mfa");
        var enrolment = await (await gateway.Call(HttpMethod.Post, "/api/me/totp/enrol", token)).Json();
        var secret = (string)enrolment["secret"]!;
        Assert.StartsWith("otpauth://totp/ChatCluster:", (string)enrolment["otpAuthUri"]!);
        Assert.StartsWith("<svg", (string)enrolment["qrSvg"]!);
        await (await gateway.Call(HttpMethod.Post, "/api/me/totp/confirm", token, new { code = "000000x" })).AssertProblem(HttpStatusCode.Unauthorized, "invalid_totp");
        await (await gateway.Call(HttpMethod.Post, "/api/me/totp/confirm", token, new { code = Code(secret) })).Json();
        await (await gateway.Call(HttpMethod.Post, "/api/me/totp/enrol", token)).AssertProblem(HttpStatusCode.Conflict, "conflict");
        Assert.True((bool)(await (await gateway.Call(HttpMethod.Get, "/api/me/totp", token)).Json())["enabled"]!);

        await (await Login(tenantId, null)).AssertProblem(HttpStatusCode.Unauthorized, "totp_required");
        await (await Login(tenantId, "123")).AssertProblem(HttpStatusCode.Unauthorized, "invalid_totp");
        await (await Login(tenantId, Code(secret, -3))).AssertProblem(HttpStatusCode.Unauthorized, "invalid_totp");
        var next = Code(secret, 1);
        var body = await (await Login(tenantId, next)).Json();
        Assert.False((bool)body["mfaEnrolmentRequired"]!);
        await (await gateway.Call(HttpMethod.Get, "/api/me", (string)body["token"]!)).Json();
        await (await Login(tenantId, next)).AssertProblem(HttpStatusCode.Unauthorized, "totp_reused");
    }

    [Fact]
    public async Task When_the_tenant_requires_mfa_an_unenrolled_agent_may_only_enrol()
    {
        var (tenantId, _, ownerToken) = await gateway.FreshTenant("req");
        var (agentId, agentToken) = await gateway.PlainAgent(tenantId, ownerToken);
        await (await gateway.Call(HttpMethod.Put, "/api/settings/security", agentToken, new { requireMfa = true })).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        await (await gateway.Call(HttpMethod.Put, "/api/settings/security", ownerToken, new { })).AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        var ownerSecret = (string)(await (await gateway.Call(HttpMethod.Post, "/api/me/totp/enrol", ownerToken)).Json())["secret"]!;
        ownerToken = (string)(await (await gateway.Call(HttpMethod.Post, "/api/me/totp/confirm", ownerToken, new { code = Code(ownerSecret) })).Json())["token"]!;
        Assert.True((bool)(await (await gateway.Call(HttpMethod.Put, "/api/settings/security", ownerToken, new { requireMfa = true })).Json())["requireMfa"]!);

        var enrolmentCode = (string)(await (await gateway.Call(HttpMethod.Post, $"/api/agents/{agentId}/enrolment-code", ownerToken)).Json())["code"]!;
        var login = await (await gateway.Http.PostAsJsonAsync("/api/auth/login",
            new { tenantId, email = $"sam@{tenantId}.test", password = "agent-password-1", enrolmentCode })).Json();
        Assert.True((bool)login["mfaEnrolmentRequired"]!);
        Assert.InRange((DateTimeOffset)login["expiresAt"]!, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(15)); // short: enrolment only
        var enrolOnly = (string)login["token"]!;
        await (await gateway.Call(HttpMethod.Get, "/api/me", enrolOnly)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        await using (var socket = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json))
        {
            await socket.Send(new { type = "hello", role = "agent", token = enrolOnly });
            Assert.Equal("invalid_token", (string?)(await socket.Next("error"))["code"]);
        }

        var secret = (string)(await (await gateway.Call(HttpMethod.Post, "/api/me/totp/enrol", enrolOnly)).Json())["secret"]!;
        var confirmed = await (await gateway.Call(HttpMethod.Post, "/api/me/totp/confirm", enrolOnly, new { code = Code(secret) })).Json();
        await (await gateway.Call(HttpMethod.Get, "/api/me", (string)confirmed["token"]!)).Json();
    }

    [Fact]
    public async Task The_visitor_panel_shows_coarse_details_and_the_read_is_audited()
    {
        var (tenantId, siteKey, ownerToken) = await gateway.FreshTenant("panel");
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json,
            configure: o => o.SetRequestHeader("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"));
        await visitor.Send(new { type = "hello", role = "visitor", siteKey, pageUrl = "https://shop.example/pricing" });
        await visitor.Next("welcome");
        var conversationId = await visitor.StartConversation(name: "Jo", email: "jo@example.com");

        var panel = await (await gateway.Call(HttpMethod.Get, $"/api/conversations/{conversationId}/visitor", ownerToken)).Json();

        Assert.Equal("Jo", (string?)panel["name"]);
        Assert.Equal("jo@example.com", (string?)panel["email"]);
        Assert.Equal("127.0.0.0/24", (string?)panel["ipNetwork"]);
        Assert.Equal("https://shop.example/pricing", (string?)panel["pageUrl"]);
        Assert.Equal("Firefox on Linux", (string?)panel["browser"]);
        var grains = gateway.Services.GetRequiredService<IClusterClient>();
        var audit = await grains.GetGrain<IAuditLogGrain>(DayKeys.For(tenantId, DateTimeOffset.UtcNow)).List();
        var entry = Assert.Single(audit, a => a.Action == AuditAction.VisitorDetailsViewed);
        Assert.DoesNotContain("jo@example.com", entry.ToString());

        await (await gateway.Call(HttpMethod.Get, $"/api/conversations/{conversationId}/visitor", await gateway.AgentToken())).AssertProblem(HttpStatusCode.NotFound, "not_found");
        await (await gateway.Call(HttpMethod.Get, $"/api/conversations/{conversationId}/visitor", null)).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
    }

    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0/24")]
    [InlineData("::ffff:198.51.100.9", "198.51.100.0/24")]
    [InlineData("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48")]
    [InlineData("not-an-ip", null)]
    public void Ip_addresses_are_truncated_to_their_network(string ip, string? expected) =>
        Assert.Equal(expected, ChatCluster.Gateway.Api.VisitorDetails.TruncateIp(ip));
}
