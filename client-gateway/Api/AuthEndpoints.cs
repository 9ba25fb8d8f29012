using ChatCluster.Gateway.Auth;
using ChatCluster.Security;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// Agent login: email and password (bcrypt) in exchange for a bearer token. Throttled per client address and per
/// account before any password is checked (<see cref="LoginThrottle"/>).
/// </summary>
public static class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/auth/login", Login).WithTags("Agents").Produces<LoginResponse>();
        return app;
    }

    /// <param name="Totp">The current code of the agent's authenticator, when TOTP is enabled (T2).</param>
    /// <param name="EnrolmentCode">
    /// The one-time code an admin issued, when the tenant requires two-step login and the agent has not enrolled:
    /// without it a password alone does not open the enrolment (T2).
    /// </param>
    public sealed record LoginRequest(string? TenantId, string? Email, string? Password, string? Totp = null, string? EnrolmentCode = null);

    /// <param name="MfaEnrolmentRequired">
    /// True when the tenant requires MFA and the agent has not enrolled: the token then opens only <c>/api/me/totp</c>.
    /// </param>
    public sealed record LoginResponse(string Token, DateTimeOffset ExpiresAt, AgentInfo Agent, string TenantId, bool MfaEnrolmentRequired = false);

    private static async Task<IResult> Login(LoginRequest request, IClusterClient grains, AgentTokens tokens, LoginThrottle throttle, HttpContext http)
    {
        if (string.IsNullOrWhiteSpace(request.Email) || string.IsNullOrEmpty(request.Password) || string.IsNullOrWhiteSpace(request.TenantId))
            return ProblemMapping.Problem(ErrorCodes.MissingField, "tenantId, email and password are required.");
        if (throttle.Check(http.Connection.RemoteIpAddress, request.TenantId, request.Email) is { } refused)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(refused.RetryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ProblemMapping.Problem(ErrorCodes.RateLimited, $"{refused.Reason}; try again in {seconds} seconds.");
        }
        var (result, outcome) = await Verify(request, grains, tokens);
        if (outcome == Outcome.Failed) throttle.Failed(request.TenantId, request.Email);
        else if (outcome == Outcome.LoggedIn) throttle.Succeeded(request.TenantId, request.Email);
        return result;
    }

    /// <summary>What a login attempt counts as for the throttle: only a wrong password or TOTP code is a failure.</summary>
    private enum Outcome
    {
        Failed,
        LoggedIn,
        Neither,
    }

    private static async Task<(IResult, Outcome)> Verify(LoginRequest request, IClusterClient grains, AgentTokens tokens)
    {
        var (tenantId, email, password, totp) = (request.TenantId!, request.Email!, request.Password!, request.Totp);
        var credentials = Ids.IsTenantId(tenantId) && email.Length <= 254
            ? await grains.GetGrain<ITenantGrain>(tenantId).FindCredentials(email)
            : null;
        // Verify against a decoy when the account is unknown, so the answer takes as long either way.
        var valid = Passwords.Verify(password, credentials?.PasswordHash ?? Passwords.Decoy.Value) && credentials is not null;
        if (!valid)
            return (ProblemMapping.Problem(ErrorCodes.NotAuthenticated, "Wrong tenant, email or password."), Outcome.Failed);

        if (await grains.GetGrain<ITenantGrain>(tenantId).GetClosure() is not null)
            return (ProblemMapping.Problem(ErrorCodes.TenantClosed, "This account is closed; its data is deleted at the end of the grace period."), Outcome.Neither);

        // Second step (T2): the password was right; an enrolled agent must also give the current TOTP code.
        var agent = credentials!.Agent;
        var mfa = grains.GetGrain<IAgentMfaGrain>(GrainKeys.Scoped(tenantId, agent.AgentId));
        var secondFactor = await mfa.IsEnabled();
        if (secondFactor)
        {
            if (string.IsNullOrWhiteSpace(totp))
                return (ProblemMapping.Problem(ErrorCodes.TotpRequired, "Enter the 6-digit code from your authenticator app (field totp)."), Outcome.Neither);
            try
            {
                await mfa.Verify(totp);
            }
            catch (ChatRuleException e) when (e.Code is ErrorCodes.InvalidTotp or ErrorCodes.TotpReused)
            {
                return (ProblemMapping.Problem(e.Code, e.Message), Outcome.Failed);
            }
        }
        else if ((await grains.GetGrain<ITenantGrain>(tenantId).GetSecurity()).RequireMfa)
        {
            if (string.IsNullOrWhiteSpace(request.EnrolmentCode))
                return (ProblemMapping.Problem(ErrorCodes.EnrolmentCodeRequired,
                    "Your team requires two-step login: ask an admin for your enrolment code and send it as enrolmentCode."), Outcome.Neither);
            if (request.EnrolmentCode.Length > 64
                || !await grains.GetGrain<IAgentSetupCodesGrain>(GrainKeys.Scoped(tenantId, agent.AgentId)).Redeem(SetupPurpose.MfaEnrolment, request.EnrolmentCode))
                return (ProblemMapping.Problem(ErrorCodes.InvalidCode, "The enrolment code is wrong, used or expired; ask an admin for a new one."), Outcome.Failed);
            var (enrolToken, enrolExpires) = tokens.Issue(tenantId, agent, credentials.Stamp, enrolOnly: true);
            return (Results.Ok(new LoginResponse(enrolToken, enrolExpires, agent, tenantId, MfaEnrolmentRequired: true)), Outcome.LoggedIn);
        }

        var (token, expires) = tokens.Issue(tenantId, agent, credentials.Stamp, secondFactor);
        return (Results.Ok(new LoginResponse(token, expires, agent, tenantId)), Outcome.LoggedIn);
    }
}
