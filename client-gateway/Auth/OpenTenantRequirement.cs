using ChatCluster.Gateway.Api;
using ChatCluster.Tenants;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace ChatCluster.Gateway.Auth;

/// <summary>
/// Part of every agent policy: the token's tenant must be open. A token issued before an account closure (R3) stays
/// cryptographically valid until it expires, so the signature alone cannot refuse it; this asks the tenant instead.
/// Endpoints marked with <see cref="ClosedTenantAllowedAttribute"/> (the owner's closure status and reopening) still
/// answer a closed tenant within its grace period; nothing answers a purged one.
/// </summary>
public sealed class OpenTenantRequirement : IAuthorizationRequirement;

/// <summary>Marks an endpoint a closed tenant's team may still call: what the owner needs to see and undo the closure.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class ClosedTenantAllowedAttribute : Attribute;

public static class ClosedTenantAllowedExtensions
{
    public static TBuilder AllowClosedTenant<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ClosedTenantAllowedAttribute());
}

/// <summary>Why <see cref="OpenTenantRequirement"/> failed: carried to <see cref="TenantStandingResultHandler"/> for the answer.</summary>
public sealed class TenantNotOpen(IAuthorizationHandler handler, SessionCheck check)
    : AuthorizationFailureReason(handler, check.ToString())
{
    public SessionCheck Check { get; } = check;
}

public sealed class OpenTenantHandler(TenantStandings standings) : AuthorizationHandler<OpenTenantRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, OpenTenantRequirement requirement)
    {
        SessionCheck check;
        if (Integrations.ApiKeyPrincipal.FromClaims(context.User) is { } key)
        {
            // A tenant API key (I4) has no member session to revoke (revoking the key is its revocation): the tenant must be open.
            check = await standings.Get(key.TenantId) switch
            {
                TenantStanding.Open => SessionCheck.Valid,
                TenantStanding.Closed => SessionCheck.TenantClosed,
                _ => SessionCheck.TenantGone,
            };
        }
        // A token without a tenant is refused by the policy's claim requirement; nothing to ask here.
        else if (AgentTokens.FromClaims(context.User) is { } agent) check = await standings.Check(agent);
        else return;
        if (check == SessionCheck.Valid || (check == SessionCheck.TenantClosed && AllowsClosedTenant(context.Resource)))
            context.Succeed(requirement);
        else
            context.Fail(new TenantNotOpen(this, check));
    }

    private static bool AllowsClosedTenant(object? resource)
    {
        var endpoint = resource switch
        {
            HttpContext http => http.GetEndpoint(),
            Endpoint e => e,
            _ => null,
        };
        return endpoint?.Metadata.GetMetadata<ClosedTenantAllowedAttribute>() is not null;
    }
}

/// <summary>
/// Answers a refusal by <see cref="OpenTenantHandler"/> with the protocol's codes instead of a bare 403: a closed
/// tenant gets <c>403 tenant_closed</c>, a purged one <c>401 invalid_token</c>, a revoked session (T2) <c>401
/// session_revoked</c>. Every other result goes the default way.
/// </summary>
public sealed class TenantStandingResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler fallback = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!authorizeResult.Forbidden || authorizeResult.AuthorizationFailure?.FailureReasons.OfType<TenantNotOpen>().FirstOrDefault() is not { } reason)
            return fallback.HandleAsync(next, context, policy, authorizeResult);
        var problem = reason.Check switch
        {
            SessionCheck.TenantClosed => ProblemMapping.Problem(ErrorCodes.TenantClosed,
                "This account is closed; its data is deleted at the end of the grace period. Only the owner's GET /api/settings/account-closure and POST /api/settings/reopen-account still answer."),
            SessionCheck.TenantGone => ProblemMapping.Problem(ErrorCodes.InvalidToken, "This account no longer exists; its data was deleted after the account was closed."),
            _ => ProblemMapping.Problem(ErrorCodes.SessionRevoked, SessionMessages.Revoked(reason.Check)),
        };
        return problem.ExecuteAsync(context);
    }
}

/// <summary>The words for a session that ended, the same on HTTP and the socket.</summary>
public static class SessionMessages
{
    public static string Revoked(SessionCheck check) => check == SessionCheck.SecondFactorRequired
        ? "Your team now requires two-step login; log in again with your authenticator."
        : "Your session ended: your account, role, password or two-step login changed. Log in again.";
}
