using ChatCluster.Gateway.Api;
using ChatCluster.Gateway.Auth;
using ChatCluster.Integrations;
using ChatCluster.Privacy;

namespace ChatCluster.Gateway.Integrations;

/// <summary>Admins manage identity verification (I3): rotate the secret (shown once) and require verified visitors.</summary>
public static class IdentityEndpoints
{
    public static IEndpointRouteBuilder MapIdentityEndpoints(this IEndpointRouteBuilder app)
    {
        var identity = app.MapGroup("/api/settings/identity").WithTags("Integrations").RequireAuthorization(AgentEndpoints.AdminPolicy);
        identity.MapGet("", async (HttpContext http, IClusterClient grains) => Results.Ok(await Grain(http, grains).GetSettings())).Produces<IdentitySettings>();
        identity.MapPost("/rotate", async (HttpContext http, IClusterClient grains) => Results.Ok(await Grain(http, grains).Rotate(Actor(http)))).Produces<IdentitySecret>();
        identity.MapPut("", async (RequiredRequest request, HttpContext http, IClusterClient grains) =>
            request.Required is { } required
                ? Results.Ok(await Grain(http, grains).SetRequired(required, Actor(http)))
                : ProblemMapping.Problem(ErrorCodes.MissingField, "required (true or false) is required.")).Produces<IdentitySettings>();
        return app;
    }

    public sealed record RequiredRequest(bool? Required);

    private static IIdentityVerificationGrain Grain(HttpContext http, IClusterClient grains) => grains.GetGrain<IIdentityVerificationGrain>(Me(http).TenantId);

    private static string Actor(HttpContext http) => AuditEntry.Agent(Me(http).AgentId);

    private static AgentPrincipal Me(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
}
