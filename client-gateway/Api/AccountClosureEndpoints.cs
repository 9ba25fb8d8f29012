using ChatCluster.Gateway.Auth;
using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// Account closure (R3): the operator or the tenant's owner closes the account, which disables it at once; the
/// operator or the owner may reopen it before the purge deadline (closed + 30 days by default). While closed, the
/// team's tokens open only the closure status and the owner's reopening (<see cref="OpenTenantRequirement"/>).
/// </summary>
public static class AccountClosureEndpoints
{
    public static IEndpointRouteBuilder MapAccountClosureEndpoints(this IEndpointRouteBuilder app)
    {
        var tenants = app.MapGroup("/api/tenants").RequireOperatorKey().WithTags("Operator");
        tenants.MapPost("/{tenantId}/close", (string tenantId, IClusterClient grains, TenantStandings standings) => Close(tenantId, "operator", grains, standings)).Produces<TenantClosure>();
        tenants.MapPost("/{tenantId}/reopen", (string tenantId, IClusterClient grains, TenantStandings standings) => Reopen(tenantId, "operator", grains, standings)).Produces<TenantInfo>();

        var own = app.MapGroup("/api/settings").WithTags("Privacy").RequireAuthorization(AgentEndpoints.AdminPolicy);
        own.MapPost("/close-account", CloseOwnAccount).Produces<TenantClosure>();
        own.MapGet("/account-closure", Status).AllowClosedTenant().Produces<AccountClosureStatus>();
        own.MapPost("/reopen-account", ReopenOwnAccount).AllowClosedTenant().Produces<AccountClosureStatus>();
        return app;
    }

    /// <summary>What the team sees of a closure: whether the account is closed, since when, when it will be purged, and whether a hold delays that.</summary>
    public sealed record AccountClosureStatus(bool Closed, DateTimeOffset? ClosedAt, DateTimeOffset? PurgeAt, bool Held)
    {
        public static AccountClosureStatus From(TenantClosure? closure) =>
            closure is null ? new(false, null, null, false) : new(true, closure.ClosedAt, closure.PurgeAt, closure.Held);
    }

    private static async Task<IResult> Close(string tenantId, string actor, IClusterClient grains, TenantStandings standings)
    {
        if (!Ids.IsTenantId(tenantId)) return ProblemMapping.Problem(ErrorCodes.NotFound, $"Tenant '{tenantId}' was not found.");
        var closure = await grains.GetGrain<ITenantGrain>(tenantId).Close(actor);
        standings.Forget(tenantId);
        return Results.Ok(closure);
    }

    private static async Task<IResult> Reopen(string tenantId, string actor, IClusterClient grains, TenantStandings standings)
    {
        if (!Ids.IsTenantId(tenantId)) return ProblemMapping.Problem(ErrorCodes.NotFound, $"Tenant '{tenantId}' was not found.");
        var info = await grains.GetGrain<ITenantGrain>(tenantId).Reopen(actor);
        standings.Forget(tenantId);
        return Results.Ok(info);
    }

    private static Task<IResult> CloseOwnAccount(HttpContext http, IClusterClient grains, TenantStandings standings)
    {
        var me = Owner(http);
        return me is null ? Task.FromResult(NotOwner("close")) : Close(me.TenantId, AuditEntry.Agent(me.AgentId), grains, standings);
    }

    private static async Task<IResult> ReopenOwnAccount(HttpContext http, IClusterClient grains, TenantStandings standings)
    {
        var me = Owner(http);
        if (me is null) return NotOwner("reopen");
        await Reopen(me.TenantId, AuditEntry.Agent(me.AgentId), grains, standings);
        return Results.Ok(AccountClosureStatus.From(null));
    }

    private static async Task<IResult> Status(HttpContext http, IClusterClient grains)
    {
        var me = Principal(http);
        return Results.Ok(AccountClosureStatus.From(await grains.GetGrain<ITenantGrain>(me.TenantId).GetClosure()));
    }

    private static AgentPrincipal? Owner(HttpContext http)
    {
        var me = Principal(http);
        return me.Role == AgentRole.Owner ? me : null;
    }

    private static IResult NotOwner(string what) => ProblemMapping.Problem(ErrorCodes.Forbidden, $"Only an owner may {what} the account.");

    private static AgentPrincipal Principal(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
}
