using ChatCluster.Gateway.Auth;
using ChatCluster.Security;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>Agent login: email and password (bcrypt) in exchange for a bearer token.</summary>
public static class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/login", Login).WithTags("Agents");
        return app;
    }

    /// <param name="Totp">The current code of the agent's authenticator, when TOTP is enabled (T2).</param>
    public sealed record LoginRequest(string? TenantId, string? Email, string? Password, string? Totp = null);

    /// <param name="MfaEnrolmentRequired">
    /// True when the tenant requires MFA and the agent has not enrolled: the token then opens only <c>/api/me/totp</c>.
    /// </param>
    public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, AgentInfo Agent, string TenantId, bool MfaEnrolmentRequired = false);

    private static async Task<IResult> Login(LoginRequest request, IClusterClient grains, AgentTokens tokens)
    {
        if (string.IsNullOrWhiteSpace(request.Email) || string.IsNullOrEmpty(request.Password) || string.IsNullOrWhiteSpace(request.TenantId))
            return ProblemMapping.Problem(ErrorCodes.MissingField, "tenantId, email and password are required.");
        var credentials = Ids.IsTenantId(request.TenantId) && request.Email.Length <= 254
            ? await grains.GetGrain<ITenantGrain>(request.TenantId).FindCredentials(request.Email)
            : null;
        // Verify against a decoy when the account is unknown, so the answer takes as long either way.
        var valid = Passwords.Verify(request.Password, credentials?.PasswordHash ?? Passwords.Decoy.Value) && credentials is not null;
        if (!valid)
            return ProblemMapping.Problem(ErrorCodes.NotAuthenticated, "Wrong tenant, email or password.");

        if (await grains.GetGrain<ITenantGrain>(request.TenantId).GetClosure() is not null)
            return ProblemMapping.Problem(ErrorCodes.TenantClosed, "This account is closed; its data is deleted at the end of the grace period.");

        // Second step (T2): the password was right; an enrolled agent must also give the current TOTP code.
        var agent = credentials!.Agent;
        var mfa = grains.GetGrain<IAgentMfaGrain>(GrainKeys.Scoped(request.TenantId, agent.AgentId));
        if (await mfa.IsEnabled())
        {
            if (string.IsNullOrWhiteSpace(request.Totp))
                return ProblemMapping.Problem(ErrorCodes.TotpRequired, "Enter the 6-digit code from your authenticator app (field totp).");
            await mfa.Verify(request.Totp); // invalid_totp, totp_reused
        }
        else if ((await grains.GetGrain<ITenantGrain>(request.TenantId).GetSecurity()).RequireMfa)
        {
            var (enrolToken, enrolExpires) = tokens.Issue(request.TenantId, agent, enrolOnly: true);
            return Results.Ok(new LoginResponse(enrolToken, enrolExpires, agent, request.TenantId, MfaEnrolmentRequired: true));
        }

        var (token, expires) = tokens.Issue(request.TenantId, agent);
        return Results.Ok(new LoginResponse(token, expires, agent, request.TenantId));
    }
}
