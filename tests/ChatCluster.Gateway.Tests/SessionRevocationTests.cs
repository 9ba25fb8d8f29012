using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Tenants;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace ChatCluster.Gateway.Tests;

/// <summary>
/// T2: an agent's token stops working within seconds when the agent is removed, their role or password changes, or
/// the team starts requiring two-step login; their open sockets are closed with <c>session_revoked</c>.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SessionRevocationTests(GatewayFixture gateway)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Removing_a_member_ends_their_api_session_and_closes_their_socket_with_session_revoked()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("rm");
        var (agentId, agent) = await gateway.PlainAgent(tenantId, owner);
        await using var socket = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await socket.HelloAgent(agent);
        await (await gateway.Call(HttpMethod.Get, "/api/me", agent)).Json();

        Assert.Equal(HttpStatusCode.NoContent, (await gateway.Call(HttpMethod.Delete, $"/api/agents/{agentId}", owner)).StatusCode);

        Assert.Equal("session_revoked", (string?)(await socket.Next("error", Soon))["code"]);
        Assert.Equal((WebSocketCloseStatus)4003, await socket.Closed(Soon));
        await (await gateway.Call(HttpMethod.Get, "/api/me", agent)).AssertProblem(HttpStatusCode.Unauthorized, "session_revoked");
        await (await gateway.Call(HttpMethod.Get, "/api/inbox", agent)).AssertProblem(HttpStatusCode.Unauthorized, "session_revoked");
        var login = await gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId, email = $"sam@{tenantId}.test", password = "agent-password-1" });
        await login.AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
        await using var again = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await again.Send(new { type = "hello", role = "agent", token = agent });
        Assert.Equal("session_revoked", (string?)(await again.Next("error"))["code"]);
    }

    [Fact]
    public async Task A_role_change_ends_the_old_session_and_a_new_login_carries_the_new_role()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("role");
        var (agentId, agent) = await gateway.PlainAgent(tenantId, owner);
        var changed = await (await gateway.Call(HttpMethod.Patch, $"/api/agents/{agentId}", owner, new { role = "admin" })).Json();
        Assert.Equal("admin", (string?)changed["role"]);

        await (await gateway.Call(HttpMethod.Get, "/api/me", agent)).AssertProblem(HttpStatusCode.Unauthorized, "session_revoked");
        var admin = await gateway.Login(tenantId, $"sam@{tenantId}.test", "agent-password-1");
        Assert.Equal(HttpStatusCode.OK, (await gateway.Call(HttpMethod.Get, "/api/agents", admin)).StatusCode);
    }

    [Fact]
    public async Task A_change_made_through_another_gateway_closes_the_socket_within_seconds()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("far");
        var (agentId, agent) = await gateway.PlainAgent(tenantId, owner);
        await using var socket = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await socket.HelloAgent(agent);

        // Straight to the grain, as another gateway would: this gateway learns of it only through its cache.
        await gateway.Services.GetRequiredService<IClusterClient>().GetGrain<ITenantGrain>(tenantId).RenewSessionStamp(agentId);

        var started = DateTime.UtcNow;
        Assert.Equal("session_revoked", (string?)(await socket.Next("error", Soon))["code"]);
        Assert.Equal((WebSocketCloseStatus)4003, await socket.Closed(Soon));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TenantStandings.Lifetime + SessionRevocation.SweepInterval + TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Changing_ones_own_password_needs_the_current_one_and_ends_the_other_sessions()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("pwd");
        var (_, agent) = await gateway.PlainAgent(tenantId, owner);
        var otherTab = await gateway.Login(tenantId, $"sam@{tenantId}.test", "agent-password-1");

        await (await gateway.Call(HttpMethod.Put, "/api/me/password", agent, new { currentPassword = "wrong-password", newPassword = "new-password-22" }))
            .AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
        await (await gateway.Call(HttpMethod.Put, "/api/me/password", agent, new { currentPassword = "agent-password-1", newPassword = "short" }))
            .AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await gateway.Call(HttpMethod.Put, "/api/me/password", agent, new { newPassword = "new-password-22" }))
            .AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        var renewed = await (await gateway.Call(HttpMethod.Put, "/api/me/password", agent, new { currentPassword = "agent-password-1", newPassword = "new-password-22" })).Json();

        await (await gateway.Call(HttpMethod.Get, "/api/me", (string)renewed["token"]!)).Json();
        await (await gateway.Call(HttpMethod.Get, "/api/me", agent)).AssertProblem(HttpStatusCode.Unauthorized, "session_revoked");
        await (await gateway.Call(HttpMethod.Get, "/api/me", otherTab)).AssertProblem(HttpStatusCode.Unauthorized, "session_revoked");
        await gateway.Login(tenantId, $"sam@{tenantId}.test", "new-password-22");
    }

    [Fact]
    public async Task Requiring_two_step_login_ends_password_only_sessions_and_enrolment_needs_an_admin_issued_code()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("mfareq");
        var (agentId, agent) = await gateway.PlainAgent(tenantId, owner);
        await using var socket = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await socket.HelloAgent(agent);

        // The owner cannot require what they do not use themselves.
        await (await gateway.Call(HttpMethod.Put, "/api/settings/security", owner, new { requireMfa = true })).AssertProblem(HttpStatusCode.Conflict, "conflict");
        var secret = (string)(await (await gateway.Call(HttpMethod.Post, "/api/me/totp/enrol", owner)).Json())["secret"]!;
        var confirmed = await (await gateway.Call(HttpMethod.Post, "/api/me/totp/confirm", owner, new { code = new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp() })).Json();
        var ownerWithTotp = (string)confirmed["token"]!;
        await (await gateway.Call(HttpMethod.Put, "/api/settings/security", ownerWithTotp, new { requireMfa = true })).Json();

        Assert.Equal("session_revoked", (string?)(await socket.Next("error", Soon))["code"]);
        await (await gateway.Call(HttpMethod.Get, "/api/me", agent)).AssertProblem(HttpStatusCode.Unauthorized, "session_revoked");
        await (await gateway.Call(HttpMethod.Get, "/api/me", owner)).AssertProblem(HttpStatusCode.Unauthorized, "session_revoked");
        await (await gateway.Call(HttpMethod.Get, "/api/me", ownerWithTotp)).Json();

        // A password alone no longer opens the enrolment: an attacker who knows it cannot enrol their own authenticator.
        Task<HttpResponseMessage> Login(string? enrolmentCode) => gateway.Http.PostAsJsonAsync("/api/auth/login",
            new { tenantId, email = $"sam@{tenantId}.test", password = "agent-password-1", enrolmentCode });
        await (await Login(null)).AssertProblem(HttpStatusCode.Forbidden, "enrolment_code_required");
        await (await Login("guessed-code")).AssertProblem(HttpStatusCode.Unauthorized, "invalid_code");
        await (await gateway.Call(HttpMethod.Post, $"/api/agents/{agentId}/enrolment-code", agent)).AssertProblem(HttpStatusCode.Unauthorized, "session_revoked");
        var code = (string)(await (await gateway.Call(HttpMethod.Post, $"/api/agents/{agentId}/enrolment-code", ownerWithTotp)).Json())["code"]!;
        var enrolOnly = await (await Login(code)).Json();
        Assert.True((bool)enrolOnly["mfaEnrolmentRequired"]!);
        await (await Login(code)).AssertProblem(HttpStatusCode.Unauthorized, "invalid_code"); // used once
        var agentSecret = (string)(await (await gateway.Call(HttpMethod.Post, "/api/me/totp/enrol", (string)enrolOnly["token"]!)).Json())["secret"]!;
        var full = await (await gateway.Call(HttpMethod.Post, "/api/me/totp/confirm", (string)enrolOnly["token"]!, new { code = new Totp(Base32Encoding.ToBytes(agentSecret)).ComputeTotp() })).Json();
        Assert.Equal(HttpStatusCode.OK, (await gateway.Call(HttpMethod.Get, "/api/inbox", (string)full["token"]!)).StatusCode);
    }

    [Fact]
    public async Task A_token_of_an_earlier_tenant_under_the_same_id_is_refused()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("gen");
        var me = await (await gateway.Call(HttpMethod.Get, "/api/me", owner)).Json();
        var agent = new AgentInfo((string)me["agentId"]!, (string)me["email"]!, "Owner", AgentRole.Owner, DateTimeOffset.UtcNow);
        var stamp = (await gateway.Services.GetRequiredService<IClusterClient>().GetGrain<ITenantGrain>(tenantId).GetCredentials(agent.AgentId))!.Stamp;
        var tokens = gateway.Services.GetRequiredService<AgentTokens>();

        // Signed with the real key and the agent's real stamp, but the generation of another (purged) tenant.
        var old = tokens.Issue(tenantId, agent, stamp with { TenantGeneration = "earlier" }).Token;
        await (await gateway.Call(HttpMethod.Get, "/api/me", old)).AssertProblem(HttpStatusCode.Unauthorized, "invalid_token");
        await using var socket = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await socket.Send(new { type = "hello", role = "agent", token = old });
        Assert.Equal("invalid_token", (string?)(await socket.Next("error"))["code"]);
        // The same token with the current generation works: only the generation made the difference.
        await (await gateway.Call(HttpMethod.Get, "/api/me", tokens.Issue(tenantId, agent, stamp).Token)).Json();
    }
}
