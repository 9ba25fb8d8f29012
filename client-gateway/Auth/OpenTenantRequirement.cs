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
public sealed class TenantNotOpen(IAuthorizationHandler handler, TenantStanding standing)
    : AuthorizationFailureReason(handler, standing == TenantStanding.Closed ? "The tenant is closed." : "The tenant no longer exists.")
{
    public TenantStanding Standing { get; } = standing;
}

public sealed class OpenTenantHandler(TenantStandings standings) : AuthorizationHandler<OpenTenantRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, OpenTenantRequirement requirement)
    {
        // A token without a tenant is refused by the policy's claim requirement; nothing to ask here.
        if (context.User.FindFirst(AgentTokens.TenantClaim)?.Value is not { } tenantId) return;
        var standing = await standings.Get(tenantId);
        if (standing == TenantStanding.Open || (standing == TenantStanding.Closed && AllowsClosedTenant(context.Resource)))
            context.Succeed(requirement);
        else
            context.Fail(new TenantNotOpen(this, standing));
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
/// tenant gets <c>403 tenant_closed</c>, a purged one <c>401 invalid_token</c>. Every other result goes the default way.
/// </summary>
public sealed class TenantStandingResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler fallback = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (!authorizeResult.Forbidden || authorizeResult.AuthorizationFailure?.FailureReasons.OfType<TenantNotOpen>().FirstOrDefault() is not { } reason)
            return fallback.HandleAsync(next, context, policy, authorizeResult);
        var problem = reason.Standing == TenantStanding.Closed
            ? ProblemMapping.Problem(ErrorCodes.TenantClosed,
                "This account is closed; its data is deleted at the end of the grace period. Only the owner's GET /api/settings/account-closure and POST /api/settings/reopen-account still answer.")
            : ProblemMapping.Problem(ErrorCodes.InvalidToken, "This account no longer exists; its data was deleted after the account was closed.");
        return problem.ExecuteAsync(context);
    }
}
