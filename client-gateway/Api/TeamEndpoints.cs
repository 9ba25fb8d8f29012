using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Security;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// Team management (T2): roles, removal, passwords and two-step login of the tenant's members. Every change renews
/// the member's security stamp in the tenant grain, so their old sessions end (<see cref="TenantStandings"/>); a
/// change made here is acted on at once on this gateway (<see cref="TenantStandings.Forget"/>).
/// An admin manages agents; only an owner manages admins and owners. Adding and listing members is in <see cref="AgentEndpoints"/>.
/// </summary>
public static class TeamEndpoints
{
    public static IEndpointRouteBuilder MapTeamEndpoints(this IEndpointRouteBuilder app)
    {
        var team = app.MapGroup("/api/agents/{agentId}").WithTags("Agents").RequireAuthorization(AgentEndpoints.AdminPolicy);
        team.MapPatch("", ChangeRole).Produces<AgentInfo>();
        team.MapDelete("", Remove).Produces(StatusCodes.Status204NoContent);
        team.MapPut("/password", ResetPassword).Produces(StatusCodes.Status204NoContent);
        team.MapDelete("/totp", ResetTotp).Produces<SetupCodeResponse>().Produces(StatusCodes.Status204NoContent);
        team.MapPost("/enrolment-code", IssueEnrolmentCode).Produces<SetupCodeResponse>();
        var me = app.MapGroup("/api/me").WithTags("Agents").RequireAuthorization(AgentEndpoints.AgentPolicy);
        me.MapPut("/password", ChangeOwnPassword).Produces<SessionRenewed>();
        me.MapPost("/totp/disable", DisableOwnTotp).Produces<SessionRenewed>();
        app.MapPost("/api/auth/accept-invitation", AcceptInvitation).WithTags("Agents").Produces(StatusCodes.Status204NoContent);
        return app;
    }

    public sealed record RoleRequest(string? Role);

    public sealed record PasswordRequest(string? Password);

    public sealed record OwnPasswordRequest(string? CurrentPassword, string? NewPassword);

    /// <param name="Totp">The current code, when two-step login is on: turning it off needs both factors.</param>
    public sealed record DisableTotpRequest(string? Password, string? Totp);

    public sealed record InvitationRequest(string? TenantId, string? Email, string? Code, string? Password);

    /// <summary>A fresh token for the caller after their own change, so the session they are in goes on.</summary>
    public sealed record SessionRenewed(string Token, DateTimeOffset ExpiresAt);

    /// <summary>A one-time code to hand to the member (it is shown once).</summary>
    public sealed record SetupCodeResponse(string AgentId, string Code, DateTimeOffset ExpiresAt);

    private static async Task<IResult> ChangeRole(string agentId, RoleRequest request, HttpContext http, IClusterClient grains, TenantStandings standings)
    {
        var me = Principal(http);
        if (!Ids.IsLocalId(agentId)) return NotFound();
        if (request.Role is null || !Enum.TryParse<AgentRole>(request.Role, ignoreCase: true, out var role) || !Enum.IsDefined(role) || int.TryParse(request.Role, out _))
            return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "role is owner, admin or agent.");
        var changed = await grains.GetGrain<ITenantGrain>(me.TenantId).ChangeRole(me.AgentId, agentId, role);
        standings.Forget(me.TenantId);
        return Results.Ok(changed);
    }

    private static async Task<IResult> Remove(string agentId, HttpContext http, IClusterClient grains, TenantStandings standings)
    {
        var me = Principal(http);
        if (!Ids.IsLocalId(agentId)) return NotFound();
        await grains.GetGrain<ITenantGrain>(me.TenantId).RemoveAgent(me.AgentId, agentId);
        standings.Forget(me.TenantId);
        return Results.NoContent();
    }

    private static async Task<IResult> ResetPassword(string agentId, PasswordRequest request, HttpContext http, IClusterClient grains, TenantStandings standings)
    {
        var me = Principal(http);
        if (await Managed(grains, me, agentId) is { } refused) return refused;
        if (Passwords.Problem(request.Password) is { } weak) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "password: " + weak);
        await grains.GetGrain<ITenantGrain>(me.TenantId).SetPassword(agentId, Passwords.Hash(request.Password!));
        standings.Forget(me.TenantId);
        return Results.NoContent();
    }

    /// <summary>Deletes a member's authenticator; when the tenant requires two-step login the answer carries their enrolment code.</summary>
    private static async Task<IResult> ResetTotp(string agentId, HttpContext http, IClusterClient grains, TenantStandings standings, AuthOptions auth)
    {
        var me = Principal(http);
        if (await Managed(grains, me, agentId) is { } refused) return refused;
        await grains.GetGrain<IAgentMfaGrain>(GrainKeys.Scoped(me.TenantId, agentId)).Purge();
        var tenant = grains.GetGrain<ITenantGrain>(me.TenantId);
        await tenant.RenewSessionStamp(agentId);
        standings.Forget(me.TenantId);
        if (!(await tenant.GetSecurity()).RequireMfa) return Results.NoContent();
        return Results.Ok(await SetupCode(grains, me.TenantId, agentId, SetupPurpose.MfaEnrolment, auth.EnrolmentCodeLifetime));
    }

    private static async Task<IResult> IssueEnrolmentCode(string agentId, HttpContext http, IClusterClient grains, AuthOptions auth)
    {
        var me = Principal(http);
        if (await Managed(grains, me, agentId) is { } refused) return refused;
        if (await grains.GetGrain<IAgentMfaGrain>(GrainKeys.Scoped(me.TenantId, agentId)).IsEnabled())
            return ProblemMapping.Problem(ErrorCodes.Conflict, "This member already uses two-step login; reset it first (DELETE /api/agents/{agentId}/totp).");
        return Results.Ok(await SetupCode(grains, me.TenantId, agentId, SetupPurpose.MfaEnrolment, auth.EnrolmentCodeLifetime));
    }

    private static async Task<IResult> ChangeOwnPassword(OwnPasswordRequest request, HttpContext http, IClusterClient grains, TenantStandings standings, AgentTokens tokens)
    {
        var me = Principal(http);
        if (string.IsNullOrEmpty(request.CurrentPassword)) return ProblemMapping.Problem(ErrorCodes.MissingField, "currentPassword is required.");
        if (Passwords.Problem(request.NewPassword) is { } weak) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "newPassword: " + weak);
        var tenant = grains.GetGrain<ITenantGrain>(me.TenantId);
        if (await Reauthenticate(tenant, me, request.CurrentPassword) is not { } credentials)
            return ProblemMapping.Problem(ErrorCodes.NotAuthenticated, "The current password is wrong.");
        var stamp = await tenant.SetPassword(me.AgentId, Passwords.Hash(request.NewPassword!));
        standings.Forget(me.TenantId);
        var (token, expires) = tokens.Issue(me.TenantId, credentials.Agent, stamp, me.SecondFactor);
        return Results.Ok(new SessionRenewed(token, expires));
    }

    private static async Task<IResult> DisableOwnTotp(DisableTotpRequest request, HttpContext http, IClusterClient grains, TenantStandings standings, AgentTokens tokens)
    {
        var me = Principal(http);
        if (string.IsNullOrEmpty(request.Password) || string.IsNullOrWhiteSpace(request.Totp))
            return ProblemMapping.Problem(ErrorCodes.MissingField, "password and totp are required.");
        var tenant = grains.GetGrain<ITenantGrain>(me.TenantId);
        if ((await tenant.GetSecurity()).RequireMfa)
            return ProblemMapping.Problem(ErrorCodes.Conflict, "Your team requires two-step login; it cannot be turned off.");
        var mfa = grains.GetGrain<IAgentMfaGrain>(GrainKeys.Scoped(me.TenantId, me.AgentId));
        if (!await mfa.IsEnabled()) return ProblemMapping.Problem(ErrorCodes.Conflict, "Two-step login is not on for this account.");
        if (await Reauthenticate(tenant, me, request.Password) is not { } credentials)
            return ProblemMapping.Problem(ErrorCodes.NotAuthenticated, "The password is wrong.");
        await mfa.Verify(request.Totp); // invalid_totp / totp_reused
        await mfa.Purge();
        var stamp = await tenant.RenewSessionStamp(me.AgentId);
        standings.Forget(me.TenantId);
        var (token, expires) = tokens.Issue(me.TenantId, credentials.Agent, stamp);
        return Results.Ok(new SessionRenewed(token, expires));
    }

    /// <summary>An invited member sets their password with the code from the invitation; they then log in as usual.</summary>
    private static async Task<IResult> AcceptInvitation(InvitationRequest request, IClusterClient grains, LoginThrottle throttle, HttpContext http, TenantStandings standings)
    {
        if (string.IsNullOrWhiteSpace(request.TenantId) || string.IsNullOrWhiteSpace(request.Email) || string.IsNullOrWhiteSpace(request.Code))
            return ProblemMapping.Problem(ErrorCodes.MissingField, "tenantId, email, code and password are required.");
        if (Passwords.Problem(request.Password) is { } weak) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "password: " + weak);
        if (throttle.Check(http.Connection.RemoteIpAddress, request.TenantId, request.Email) is { } limited)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(limited.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ProblemMapping.Problem(ErrorCodes.RateLimited, limited.Reason + ".");
        }
        var credentials = Ids.IsTenantId(request.TenantId) && request.Email.Length <= 254 && request.Code.Length <= 64
            ? await grains.GetGrain<ITenantGrain>(request.TenantId).FindCredentials(request.Email)
            : null;
        if (credentials is null
            || !await grains.GetGrain<IAgentSetupCodesGrain>(GrainKeys.Scoped(request.TenantId, credentials.Agent.AgentId)).Redeem(SetupPurpose.Invitation, request.Code))
        {
            throttle.Failed(request.TenantId, request.Email);
            return ProblemMapping.Problem(ErrorCodes.InvalidCode, "The invitation is wrong, used or expired; ask an admin for a new one.");
        }
        await grains.GetGrain<ITenantGrain>(request.TenantId).SetPassword(credentials.Agent.AgentId, Passwords.Hash(request.Password!));
        standings.Forget(request.TenantId);
        return Results.NoContent();
    }

    /// <summary>An admin may manage agents; only an owner manages admins and owners. Null when allowed.</summary>
    private static async Task<IResult?> Managed(IClusterClient grains, AgentPrincipal me, string agentId)
    {
        if (!Ids.IsLocalId(agentId)) return NotFound();
        var agent = await grains.GetGrain<ITenantGrain>(me.TenantId).GetAgent(agentId);
        if (agent is null) return NotFound();
        if (agent.Role > AgentRole.Agent && me.Role != AgentRole.Owner)
            return ProblemMapping.Problem(ErrorCodes.Forbidden, "Only an owner manages admins and owners.");
        return null;
    }

    /// <summary>The caller's credentials when <paramref name="password"/> is theirs (bcrypt, as at login).</summary>
    private static async Task<AgentCredentials?> Reauthenticate(ITenantGrain tenant, AgentPrincipal me, string password)
    {
        var credentials = await tenant.GetCredentials(me.AgentId);
        return credentials is not null && Passwords.Verify(password, credentials.PasswordHash) ? credentials : null;
    }

    public static async Task<SetupCodeResponse> SetupCode(IClusterClient grains, string tenantId, string agentId, SetupPurpose purpose, TimeSpan lifetime)
    {
        var code = await grains.GetGrain<IAgentSetupCodesGrain>(GrainKeys.Scoped(tenantId, agentId)).Issue(purpose, lifetime);
        return new SetupCodeResponse(agentId, code.Code, code.ExpiresAt);
    }

    private static IResult NotFound() => ProblemMapping.Problem(ErrorCodes.NotFound, "Team member was not found.");

    private static AgentPrincipal Principal(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
}
