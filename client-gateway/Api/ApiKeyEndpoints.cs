using ChatCluster.Gateway.Auth;
using ChatCluster.Integrations;

namespace ChatCluster.Gateway.Api;

/// <summary>Admins make, list and revoke the tenant's API keys (I4). The secret is in the creation answer only.</summary>
public static class ApiKeyEndpoints
{
    public static IEndpointRouteBuilder MapApiKeyEndpoints(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/api/settings/api-keys").WithTags("Integrations").RequireAuthorization(AgentEndpoints.AdminPolicy);
        keys.MapGet("", List).Produces<IReadOnlyList<ApiKeyInfo>>();
        keys.MapPost("", Create).Produces<CreatedApiKey>(StatusCodes.Status201Created);
        keys.MapDelete("/{keyId}", Revoke).Produces<ApiKeyInfo>();
        return app;
    }

    /// <param name="Scopes">Any of conversations:read, conversations:write, messages:send, webhooks:manage, reports:read.</param>
    public sealed record NewApiKeyRequest(string? Name, List<string>? Scopes);

    private static async Task<IResult> List(HttpContext http, IClusterClient grains) =>
        Results.Ok(await grains.GetGrain<IApiKeysGrain>(Admin(http).TenantId).List());

    private static async Task<IResult> Create(NewApiKeyRequest request, HttpContext http, IClusterClient grains)
    {
        var me = Admin(http);
        if (string.IsNullOrWhiteSpace(request.Name)) return ProblemMapping.Problem(ErrorCodes.MissingField, "name is required.");
        if (request.Scopes is null or { Count: 0 }) return ProblemMapping.Problem(ErrorCodes.MissingField, "scopes (a list) is required: " + string.Join(", ", ApiKeyScopes.All) + ".");
        if (request.Scopes.Count > ApiKeyScopes.All.Count * 2) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "Too many scopes.");
        var created = await grains.GetGrain<IApiKeysGrain>(me.TenantId).Create(request.Name, request.Scopes, Auditing(me));
        return Results.Created($"/api/settings/api-keys/{created.Key.KeyId}", created);
    }

    private static async Task<IResult> Revoke(string keyId, HttpContext http, IClusterClient grains)
    {
        var me = Admin(http);
        if (!Ids.IsLocalId(keyId)) return ProblemMapping.Problem(ErrorCodes.NotFound, "API key was not found.");
        return Results.Ok(await grains.GetGrain<IApiKeysGrain>(me.TenantId).Revoke(keyId, Auditing(me)));
    }

    private static string Auditing(AgentPrincipal me) => Privacy.AuditEntry.Agent(me.AgentId);

    private static AgentPrincipal Admin(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
}
