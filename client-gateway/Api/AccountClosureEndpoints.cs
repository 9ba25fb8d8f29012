using ChatCluster.Gateway.Auth;
using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// Account closure (R3): the operator or the tenant's owner closes the account, which disables it at once; the
/// operator may reopen it before the purge deadline (closed + 30 days by default).
/// </summary>
public static class AccountClosureEndpoints
{
    public static IEndpointRouteBuilder MapAccountClosureEndpoints(this IEndpointRouteBuilder app)
    {
        var tenants = app.MapGroup("/api/tenants").AddEndpointFilter<OperatorKeyFilter>().WithTags("Operator");
        tenants.MapPost("/{tenantId}/close", (string tenantId, IClusterClient grains) => Close(tenantId, "operator", grains));
        tenants.MapPost("/{tenantId}/reopen", Reopen);
        app.MapPost("/api/settings/close-account", CloseOwnAccount).WithTags("Privacy").RequireAuthorization(AgentEndpoints.AdminPolicy);
        return app;
    }

    private static async Task<IResult> Close(string tenantId, string actor, IClusterClient grains)
    {
        if (!Ids.IsTenantId(tenantId)) return ProblemMapping.Problem(ErrorCodes.NotFound, $"Tenant '{tenantId}' was not found.");
        return Results.Ok(await grains.GetGrain<ITenantGrain>(tenantId).Close(actor));
    }

    private static async Task<IResult> Reopen(string tenantId, IClusterClient grains)
    {
        if (!Ids.IsTenantId(tenantId)) return ProblemMapping.Problem(ErrorCodes.NotFound, $"Tenant '{tenantId}' was not found.");
        return Results.Ok(await grains.GetGrain<ITenantGrain>(tenantId).Reopen("operator"));
    }

    private static Task<IResult> CloseOwnAccount(HttpContext http, IClusterClient grains)
    {
        var me = AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
        if (me.Role != AgentRole.Owner) return Task.FromResult(ProblemMapping.Problem(ErrorCodes.Forbidden, "Only an owner may close the account."));
        return Close(me.TenantId, AuditEntry.Agent(me.AgentId), grains);
    }
}
