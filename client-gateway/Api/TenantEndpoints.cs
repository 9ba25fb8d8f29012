using ChatCluster.Gateway.Auth;
using ChatCluster.Grains.Tenants;
using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>The operator API: create tenants, rotate site keys, set allowed origins (behind the operator key).</summary>
public static class TenantEndpoints
{
    public static IEndpointRouteBuilder MapTenantEndpoints(this IEndpointRouteBuilder app)
    {
        var tenants = app.MapGroup("/api/tenants").RequireOperatorKey().WithTags("Operator");
        tenants.MapPost("/", Create).Produces<TenantInfo>(StatusCodes.Status201Created);
        tenants.MapGet("/{tenantId}", Get).Produces<TenantInfo>();
        tenants.MapPost("/{tenantId}/site-key/rotate", RotateSiteKey).Produces<TenantInfo>();
        tenants.MapPut("/{tenantId}/allowed-origins", SetAllowedOrigins).Produces<TenantInfo>();
        tenants.MapPost("/{tenantId}/email-index/rebuild", RebuildEmailIndex).Produces<EmailIndexRebuildResult>();
        return app;
    }

    public sealed record EmailIndexRebuildResult(int Visitors, int Indexed);

    /// <summary>
    /// After <c>ChatCluster:Privacy:EmailIndexKey</c> changed (docs/privacy.md section 6): files every visitor who
    /// gave an email under its record for the new key, page by page, and audits the totals (R7).
    /// </summary>
    private static async Task<IResult> RebuildEmailIndex(string tenantId, IClusterClient grains, TimeProvider time, CancellationToken cancel)
    {
        if (!Ids.IsTenantId(tenantId)) return ProblemMapping.Problem(ErrorCodes.NotFound, $"Tenant '{tenantId}' was not found.");
        var protection = grains.GetGrain<IDataProtectionGrain>(tenantId);
        int visitors = 0, indexed = 0;
        string? after = null;
        do
        {
            cancel.ThrowIfCancellationRequested();
            var page = await protection.RebuildEmailIndex(after);
            (visitors, indexed, after) = (visitors + page.Visitors, indexed + page.Indexed, page.Next);
        }
        while (after is not null);
        var now = time.GetUtcNow();
        await grains.GetGrain<IAuditLogGrain>(DayKeys.For(tenantId, now)).Append(new AuditEntry(now, "operator", AuditAction.EmailIndexRebuilt,
            AuditEntry.TenantSubject, $"{indexed} of {visitors} visitors indexed"));
        return Results.Ok(new EmailIndexRebuildResult(visitors, indexed));
    }

    public sealed record CreateTenantRequest(string? TenantId, string? Name, List<string>? AllowedOrigins, NewMemberRequest? Owner);

    public sealed record NewMemberRequest(string? Email, string? Password, string? DisplayName, string? Role);

    public sealed record AllowedOriginsRequest(List<string>? Origins);

    private static async Task<IResult> Create(CreateTenantRequest request, IClusterClient grains)
    {
        if (!Ids.IsTenantId(request.TenantId))
            return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "tenantId is 2-40 characters of a-z, 0-9 and '-', starting with a letter or digit.");
        if (string.IsNullOrWhiteSpace(request.Name)) return ProblemMapping.Problem(ErrorCodes.MissingField, "name is required.");
        if (request.Owner is null) return ProblemMapping.Problem(ErrorCodes.MissingField, "owner (email, password, displayName) is required.");
        if (Passwords.Problem(request.Owner.Password) is { } weak) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "owner.password: " + weak);
        AllowedOrigins.Normalise(request.AllowedOrigins ?? []); // validates before any work

        var owner = new NewAgent(request.Owner.Email ?? "", request.Owner.DisplayName ?? "", AgentRole.Owner, Passwords.Hash(request.Owner.Password!));
        var info = await grains.GetGrain<ITenantGrain>(request.TenantId!).Create(new NewTenant(request.Name, request.AllowedOrigins ?? [], owner));
        return Results.Created($"/api/tenants/{info.TenantId}", info);
    }

    private static async Task<IResult> Get(string tenantId, IClusterClient grains) =>
        Ids.IsTenantId(tenantId) && await grains.GetGrain<ITenantGrain>(tenantId).GetInfo() is { } info
            ? Results.Ok(info)
            : ProblemMapping.Problem(ErrorCodes.NotFound, $"Tenant '{tenantId}' was not found.");

    private static async Task<IResult> RotateSiteKey(string tenantId, IClusterClient grains) =>
        Ids.IsTenantId(tenantId)
            ? Results.Ok(await grains.GetGrain<ITenantGrain>(tenantId).RotateSiteKey())
            : ProblemMapping.Problem(ErrorCodes.NotFound, $"Tenant '{tenantId}' was not found.");

    private static async Task<IResult> SetAllowedOrigins(string tenantId, AllowedOriginsRequest request, IClusterClient grains)
    {
        if (!Ids.IsTenantId(tenantId)) return ProblemMapping.Problem(ErrorCodes.NotFound, $"Tenant '{tenantId}' was not found.");
        if (request.Origins is null) return ProblemMapping.Problem(ErrorCodes.MissingField, "origins (a list) is required.");
        return Results.Ok(await grains.GetGrain<ITenantGrain>(tenantId).SetAllowedOrigins(request.Origins));
    }
}
