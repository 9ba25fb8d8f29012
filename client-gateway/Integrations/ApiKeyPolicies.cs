using ChatCluster.Gateway.Api;
using ChatCluster.Gateway.Auth;
using ChatCluster.Integrations;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace ChatCluster.Gateway.Integrations;

/// <summary>
/// One policy per scope (<c>apikey:conversations:read</c>, …) for the REST API, and one for webhook management that an
/// admin's token or a key with <c>webhooks:manage</c> opens. Every one of them also needs an open tenant (R3).
/// </summary>
public static class ApiKeyPolicies
{
    public const string WebhooksPolicy = "webhooks";

    public static string For(string scope) => "apikey:" + scope;

    public static AuthorizationBuilder AddApiKeyPolicies(this AuthorizationBuilder builder, OpenTenantRequirement openTenant)
    {
        foreach (var scope in ApiKeyScopes.All)
        {
            builder.AddPolicy(For(scope), p => p.AddAuthenticationSchemes(ApiKeyAuthentication.SchemeName)
                .RequireClaim(AgentTokens.TenantClaim).AddRequirements(new ScopeRequirement(scope, AllowAdmins: false), openTenant));
        }
        builder.AddPolicy(WebhooksPolicy, p => p.AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme, ApiKeyAuthentication.SchemeName)
            .RequireClaim(AgentTokens.TenantClaim).AddRequirements(new ScopeRequirement(ApiKeyScopes.WebhooksManage, AllowAdmins: true), openTenant));
        return builder;
    }
}

/// <summary>The caller's key must carry <paramref name="Scope"/>; with <paramref name="AllowAdmins"/> an admin's full token also passes.</summary>
public sealed record ScopeRequirement(string Scope, bool AllowAdmins) : IAuthorizationRequirement;

public sealed class MissingScope(IAuthorizationHandler handler, string scope) : AuthorizationFailureReason(handler, $"The key lacks the scope {scope}.")
{
    public string Scope { get; } = scope;
}

public sealed class ScopeHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        var user = context.User;
        if (user.HasClaim(ApiKeyAuthentication.ScopeClaim, requirement.Scope))
            context.Succeed(requirement);
        else if (requirement.AllowAdmins && ApiKeyPrincipal.FromClaims(user) is null && AgentTokens.FromClaims(user) is { IsAdmin: true } && !AgentTokens.IsEnrolOnly(user))
            context.Succeed(requirement);
        else
            context.Fail(new MissingScope(this, requirement.Scope));
        return Task.CompletedTask;
    }
}

/// <summary>A missing scope is answered <c>403 forbidden</c> naming the scope; everything else as before.</summary>
public sealed class ScopeResultHandler(TenantStandingResultHandler inner) : IAuthorizationMiddlewareResultHandler
{
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailureReasons.OfType<MissingScope>().FirstOrDefault() is { } missing
            && authorizeResult.AuthorizationFailure.FailureReasons.OfType<TenantNotOpen>().Any() is false)
        {
            return ProblemMapping.Problem(ErrorCodes.Forbidden, $"This needs an API key with the scope {missing.Scope} (or an admin's login).").ExecuteAsync(context);
        }
        return inner.HandleAsync(next, context, policy, authorizeResult);
    }
}
