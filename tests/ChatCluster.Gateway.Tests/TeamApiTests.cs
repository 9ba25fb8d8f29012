using System.Net;
using System.Net.Http.Json;
using OtpNet;

namespace ChatCluster.Gateway.Tests;

/// <summary>T2 team management: roles checked, the last owner kept, re-authentication for one's own changes, and bad input.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TeamApiTests(GatewayFixture gateway)
{
    private static string Code(string secret, int step = 0) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow.AddSeconds(30 * step));

    [Fact]
    public async Task Every_team_endpoint_refuses_no_token_a_plain_agent_and_another_tenants_member()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("team");
        var (agentId, agent) = await gateway.PlainAgent(tenantId, owner);
        var (otherTenant, _, otherOwner) = await gateway.FreshTenant("other");
        var (strangerId, _) = await gateway.PlainAgent(otherTenant, otherOwner, "kim");

        var adminCalls = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Patch, $"/api/agents/{agentId}", new { role = "admin" }),
            (HttpMethod.Delete, $"/api/agents/{agentId}", null),
            (HttpMethod.Put, $"/api/agents/{agentId}/password", new { password = "another-password-1" }),
            (HttpMethod.Delete, $"/api/agents/{agentId}/totp", null),
            (HttpMethod.Post, $"/api/agents/{agentId}/enrolment-code", null),
        };
        foreach (var (method, path, body) in adminCalls)
        {
            await (await gateway.Call(method, path, null, body)).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
            await (await gateway.Call(method, path, "not.a.token", body)).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
            await (await gateway.Call(method, path, agent, body)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
            // Another tenant's member is simply not found: the tenant comes from the token, never the URL (T1).
            await (await gateway.Call(method, path.Replace(agentId, strangerId), owner, body)).AssertProblem(HttpStatusCode.NotFound, "not_found");
            await (await gateway.Call(method, path.Replace(agentId, "..%2Fa_x"), owner, body)).AssertProblem(HttpStatusCode.NotFound, "not_found");
        }
        foreach (var (method, path) in new[] { (HttpMethod.Put, "/api/me/password"), (HttpMethod.Post, "/api/me/totp/disable") })
            await (await gateway.Call(method, path, null, new { })).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
        // The stranger is untouched by all of it.
        await gateway.Login(otherTenant, $"kim@{otherTenant}.test", "agent-password-1");
    }

    [Fact]
    public async Task Roles_are_checked_and_the_last_owner_stays()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("roles");
        var ownerId = (string)(await (await gateway.Call(HttpMethod.Get, "/api/me", owner)).Json())["agentId"]!;
        var (adminId, _) = await gateway.PlainAgent(tenantId, owner, "ada");
        await (await gateway.Call(HttpMethod.Patch, $"/api/agents/{adminId}", owner, new { role = "admin" })).Json();
        var admin = await gateway.Login(tenantId, $"ada@{tenantId}.test", "agent-password-1");
        var (agentId, _) = await gateway.PlainAgent(tenantId, owner);

        foreach (var role in new object?[] { "superuser", "1", "", null })
            await (await gateway.Call(HttpMethod.Patch, $"/api/agents/{agentId}", owner, new { role })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await gateway.Call(HttpMethod.Patch, $"/api/agents/{agentId}", owner, "not an object")).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");

        // An admin manages agents, not admins or owners, and cannot make anyone admin.
        await (await gateway.Call(HttpMethod.Patch, $"/api/agents/{agentId}", admin, new { role = "admin" })).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        await (await gateway.Call(HttpMethod.Delete, $"/api/agents/{ownerId}", admin)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        await (await gateway.Call(HttpMethod.Put, $"/api/agents/{ownerId}/password", admin, new { password = "taken-over-123" })).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        await (await gateway.Call(HttpMethod.Delete, $"/api/agents/{ownerId}/totp", admin)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");

        await (await gateway.Call(HttpMethod.Patch, $"/api/agents/{ownerId}", owner, new { role = "agent" })).AssertProblem(HttpStatusCode.Conflict, "conflict");
        await (await gateway.Call(HttpMethod.Delete, $"/api/agents/{ownerId}", owner)).AssertProblem(HttpStatusCode.Conflict, "conflict");

        Assert.Equal(HttpStatusCode.NoContent, (await gateway.Call(HttpMethod.Delete, $"/api/agents/{agentId}", admin)).StatusCode);
        await (await gateway.Call(HttpMethod.Delete, $"/api/agents/{agentId}", admin)).AssertProblem(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task An_invited_member_sets_their_own_password_once_with_the_invitation_code()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("invite");
        var email = $"new@{tenantId}.test";
        var added = await (await gateway.Call(HttpMethod.Post, "/api/agents", owner, new { email, displayName = "Neo" })).Json(HttpStatusCode.Created);
        var invitation = (string)added["invitation"]!;
        Assert.Null(added["enrolmentCode"]);

        Task<HttpResponseMessage> Accept(object body) => gateway.Http.PostAsJsonAsync("/api/auth/accept-invitation", body);
        await (await Accept(new { tenantId, email })).AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        await (await Accept(new { tenantId, email, code = invitation, password = "short" })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await Accept(new { tenantId, email, code = "wrong-code", password = "chosen-password-1" })).AssertProblem(HttpStatusCode.Unauthorized, "invalid_code");
        await (await Accept(new { tenantId = "nope-" + Ids.Random(4), email, code = invitation, password = "chosen-password-1" })).AssertProblem(HttpStatusCode.Unauthorized, "invalid_code");
        await (await Accept(new { tenantId, email, code = new string('x', 5000), password = "chosen-password-1" })).AssertProblem(HttpStatusCode.Unauthorized, "invalid_code");
        Assert.Equal(HttpStatusCode.NoContent, (await Accept(new { tenantId, email, code = invitation, password = "chosen-password-1" })).StatusCode);
        await (await Accept(new { tenantId, email, code = invitation, password = "hijacked-password-1" })).AssertProblem(HttpStatusCode.Unauthorized, "invalid_code");

        await gateway.Login(tenantId, email, "chosen-password-1");
    }

    [Fact]
    public async Task An_admin_resets_a_members_password_and_two_step_login_and_their_sessions_end()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("reset");
        var (agentId, agent) = await gateway.PlainAgent(tenantId, owner);
        var secret = (string)(await (await gateway.Call(HttpMethod.Post, "/api/me/totp/enrol", agent)).Json())["secret"]!;
        agent = (string)(await (await gateway.Call(HttpMethod.Post, "/api/me/totp/confirm", agent, new { code = Code(secret) })).Json())["token"]!;

        await (await gateway.Call(HttpMethod.Put, $"/api/agents/{agentId}/password", owner, new { password = "x" })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await gateway.Call(HttpMethod.Put, $"/api/agents/{agentId}/password", owner, new { })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        Assert.Equal(HttpStatusCode.NoContent, (await gateway.Call(HttpMethod.Put, $"/api/agents/{agentId}/password", owner, new { password = "reset-password-1" })).StatusCode);
        await (await gateway.Call(HttpMethod.Get, "/api/me", agent)).AssertProblem(HttpStatusCode.Unauthorized, "session_revoked");

        Assert.Equal(HttpStatusCode.NoContent, (await gateway.Call(HttpMethod.Delete, $"/api/agents/{agentId}/totp", owner)).StatusCode);
        // Two-step login is off now: the new password alone logs in, and the member may enrol again.
        var fresh = await gateway.Login(tenantId, $"sam@{tenantId}.test", "reset-password-1");
        Assert.False((bool)(await (await gateway.Call(HttpMethod.Get, "/api/me/totp", fresh)).Json())["enabled"]!);
    }

    [Fact]
    public async Task Turning_ones_own_two_step_login_off_needs_the_password_and_a_current_code()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("off");
        var (_, agent) = await gateway.PlainAgent(tenantId, owner);
        await (await gateway.Call(HttpMethod.Post, "/api/me/totp/disable", agent, new { password = "agent-password-1", totp = "123456" })).AssertProblem(HttpStatusCode.Conflict, "conflict");
        var secret = (string)(await (await gateway.Call(HttpMethod.Post, "/api/me/totp/enrol", agent)).Json())["secret"]!;
        agent = (string)(await (await gateway.Call(HttpMethod.Post, "/api/me/totp/confirm", agent, new { code = Code(secret) })).Json())["token"]!;

        await (await gateway.Call(HttpMethod.Post, "/api/me/totp/disable", agent, new { password = "agent-password-1" })).AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        await (await gateway.Call(HttpMethod.Post, "/api/me/totp/disable", agent, new { password = "wrong-password", totp = Code(secret, 1) })).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
        await (await gateway.Call(HttpMethod.Post, "/api/me/totp/disable", agent, new { password = "agent-password-1", totp = "000000" })).AssertProblem(HttpStatusCode.Unauthorized, "invalid_totp");
        var renewed = await (await gateway.Call(HttpMethod.Post, "/api/me/totp/disable", agent, new { password = "agent-password-1", totp = Code(secret, 1) })).Json();

        await (await gateway.Call(HttpMethod.Get, "/api/me", agent)).AssertProblem(HttpStatusCode.Unauthorized, "session_revoked");
        Assert.False((bool)(await (await gateway.Call(HttpMethod.Get, "/api/me/totp", (string)renewed["token"]!)).Json())["enabled"]!);
        await gateway.Login(tenantId, $"sam@{tenantId}.test", "agent-password-1"); // no code needed any more
    }
}
