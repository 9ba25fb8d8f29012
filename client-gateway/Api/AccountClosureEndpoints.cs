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
        tenants.MapGet("/{tenantId}/closure", OperatorStatus).Produces<OperatorClosureStatus>();
        // The operator lifts holds of a closed account (R4): the team's tokens open nothing while it is closed.
        tenants.MapDelete("/{tenantId}/holds/tenant", (string tenantId, IClusterClient grains) => OperatorLiftHold(tenantId, HoldScope.Tenant, null, grains)).Produces<HoldReport>();
        tenants.MapDelete("/{tenantId}/holds/visitors/{id}", (string tenantId, string id, IClusterClient grains) => OperatorLiftHold(tenantId, HoldScope.Visitor, id, grains)).Produces<HoldReport>();
        tenants.MapDelete("/{tenantId}/holds/conversations/{id}", (string tenantId, string id, IClusterClient grains) => OperatorLiftHold(tenantId, HoldScope.Conversation, id, grains)).Produces<HoldReport>();

        var own = app.MapGroup("/api/settings").WithTags("Privacy").RequireAuthorization(AgentEndpoints.AdminPolicy);
        own.MapPost("/close-account", CloseOwnAccount).Produces<TenantClosure>();
        own.MapGet("/account-closure", Status).AllowClosedTenant().Produces<AccountClosureStatus>();
        own.MapPost("/reopen-account", ReopenOwnAccount).AllowClosedTenant().Produces<AccountClosureStatus>();
        return app;
    }

    /// <summary>
    /// What the team sees of a closure: whether the account is closed, since when, when it will be purged, whether a hold
    /// delays that, and — once the purge has run — what it kept because it is held (pseudonymous ids).
    /// </summary>
    public sealed record AccountClosureStatus(bool Closed, DateTimeOffset? ClosedAt, DateTimeOffset? PurgeAt, bool Held,
        IReadOnlyList<string> HeldSubjects, DateTimeOffset? PurgeStartedAt)
    {
        public static AccountClosureStatus From(TenantClosure? closure) =>
            closure is null
                ? new(false, null, null, false, [], null)
                : new(true, closure.ClosedAt, closure.PurgeAt, closure.Held, closure.HeldSubjects ?? [], closure.PurgeStartedAt);
    }

    /// <summary>The operator's view: the closure while the account exists, and the closure record it leaves once purged (R7).</summary>
    public sealed record OperatorClosureStatus(AccountClosureStatus Closure, ClosureRecord? Record);

    private static async Task<IResult> OperatorStatus(string tenantId, IClusterClient grains)
    {
        if (!Ids.IsTenantId(tenantId)) return ProblemMapping.Problem(ErrorCodes.NotFound, $"Tenant '{tenantId}' was not found.");
        var tenant = grains.GetGrain<ITenantGrain>(tenantId);
        var closure = await tenant.GetClosure();
        var record = await tenant.GetClosureRecord();
        if (closure is null && record is null && await tenant.GetStanding() == TenantStanding.Unknown)
            return ProblemMapping.Problem(ErrorCodes.NotFound, $"Tenant '{tenantId}' was not found.");
        return Results.Ok(new OperatorClosureStatus(AccountClosureStatus.From(closure), record));
    }

    private static async Task<IResult> OperatorLiftHold(string tenantId, HoldScope scope, string? id, IClusterClient grains)
    {
        if (!Ids.IsTenantId(tenantId) || await grains.GetGrain<ITenantGrain>(tenantId).GetStanding() == TenantStanding.Unknown)
            return ProblemMapping.Problem(ErrorCodes.NotFound, $"Tenant '{tenantId}' was not found.");
        return Results.Ok(await grains.GetGrain<IDataProtectionGrain>(tenantId).LiftHold(scope, id, "operator"));
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
