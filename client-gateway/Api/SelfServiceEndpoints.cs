using ChatCluster.Grains;
using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// Self-service rights (R5) for a visitor who proves control of their email: ask for a code (always 202, so the
/// answer never tells whether the address is known), trade the code for a short-lived token, then export or erase
/// everything held about every visitor of that tenant who gave the address. The token names its tenant and address
/// hash and is checked by that one grain, so it cannot reach another tenant's data. The limits (code and token
/// lifetime, attempts, requests per window) are the silo's <c>ChatCluster:SelfService</c> settings.
/// </summary>
public static class SelfServiceEndpoints
{
    public static IEndpointRouteBuilder MapSelfServiceEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/privacy/self").WithTags("Privacy").AllowAnonymous();
        api.MapPost("/verify", Verify).Produces<VerifyAnswer>(StatusCodes.Status202Accepted);
        api.MapPost("/confirm", Confirm).Produces<ConfirmResponse>();
        api.MapGet("/export", Export).Produces<SelfExport>();
        api.MapPost("/erasure", Erase).Produces<SelfErasure>();
        return app;
    }

    public sealed record VerifyRequest(string? SiteKey, string? Email);

    public sealed record ConfirmRequest(string? SiteKey, string? Email, string? Code);

    public sealed record VerifyAnswer(string Status);

    public sealed record ConfirmResponse(string Token, DateTimeOffset ExpiresAt);

    public sealed record SelfExport(DateTimeOffset ExportedAt, IReadOnlyList<SubjectExport> Visitors);

    public sealed record SelfErasure(DateTimeOffset ErasedAt, IReadOnlyList<ErasureReport> Visitors);

    private static async Task<IResult> Verify(VerifyRequest request, IClusterClient grains)
    {
        var (key, problem) = await Resolve(request.SiteKey, request.Email, grains);
        if (problem is not null) return problem;
        await grains.GetGrain<ISelfServiceGrain>(key!).RequestCode(request.Email!.Trim());
        return Results.Accepted(value: new VerifyAnswer("If this address is known to the site, a code was sent to it; the mail says how long it is valid."));
    }

    private static async Task<IResult> Confirm(ConfirmRequest request, IClusterClient grains)
    {
        if (string.IsNullOrWhiteSpace(request.Code)) return ProblemMapping.Problem(ErrorCodes.MissingField, "code is required.");
        var (key, problem) = await Resolve(request.SiteKey, request.Email, grains);
        if (problem is not null) return problem;
        var token = await grains.GetGrain<ISelfServiceGrain>(key!).Confirm(request.Code);
        return Results.Ok(new ConfirmResponse($"{key!.Replace('/', '.')}.{token.Secret}", token.ExpiresAt));
    }

    private static async Task<IResult> Export(HttpContext http, IClusterClient grains, TimeProvider time)
    {
        var (tenantId, actor, visitorIds) = await Authorize(http, grains);
        var exports = new List<SubjectExport>();
        foreach (var visitorId in visitorIds)
        {
            try
            {
                exports.Add(await SubjectRightsEndpoints.Tracked(grains, tenantId, actor, PrivacyRequestKind.Access, visitorId,
                    () => grains.GetGrain<IDataProtectionGrain>(tenantId).ExportVisitor(visitorId, actor)));
            }
            catch (ChatRuleException e) when (e.Code == ErrorCodes.NotFound)
            {
                // Expired or erased meanwhile: nothing left to show.
            }
        }
        return Results.Json(new SelfExport(time.GetUtcNow(), exports), SubjectRightsEndpoints.ExportJson);
    }

    private static async Task<IResult> Erase(HttpContext http, IClusterClient grains, TimeProvider time)
    {
        var (tenantId, actor, visitorIds) = await Authorize(http, grains);
        var reports = new List<ErasureReport>();
        foreach (var visitorId in visitorIds)
        {
            try
            {
                reports.Add(await SubjectRightsEndpoints.Tracked(grains, tenantId, actor, PrivacyRequestKind.Erasure, visitorId,
                    () => grains.GetGrain<IDataProtectionGrain>(tenantId).EraseVisitor(visitorId, actor)));
            }
            catch (ChatRuleException e) when (e.Code == ErrorCodes.NotFound)
            {
                // Expired meanwhile: already gone.
            }
        }
        return Results.Ok(new SelfErasure(time.GetUtcNow(), reports));
    }

    private static async Task<(string? Key, IResult? Problem)> Resolve(string? siteKey, string? email, IClusterClient grains)
    {
        if (string.IsNullOrWhiteSpace(siteKey) || siteKey.Length > 64) return (null, ProblemMapping.Problem(ErrorCodes.MissingField, "siteKey is required."));
        if (!EmailAddress.LooksValid(email?.Trim())) return (null, ProblemMapping.Problem(ErrorCodes.InvalidRequest, "email is not an email address."));
        var tenantId = await grains.GetGrain<ISiteKeyGrain>(siteKey).GetTenantId();
        if (tenantId is null) return (null, ProblemMapping.Problem(ErrorCodes.InvalidSiteKey, "Unknown site key."));
        // The index key is an HMAC under a secret only silos hold; the silo computes it.
        return (await grains.GetGrain<IEmailIndexGrain>(tenantId).Locate(email!.Trim()), null);
    }

    /// <summary>The tenant, the pseudonymous actor and the visitors of a valid self-service bearer token.</summary>
    private static async Task<(string TenantId, string Actor, IReadOnlyList<string> VisitorIds)> Authorize(HttpContext http, IClusterClient grains)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
        var parts = token.Split('.');
        if (parts.Length != 3 || !Ids.IsTenantId(parts[0]) || !Ids.IsLocalId(parts[1]) || !parts[1].StartsWith("e_", StringComparison.Ordinal))
            throw new ChatRuleException(ErrorCodes.InvalidToken, "Send the self-service token from /api/privacy/self/confirm as a Bearer token.");
        var visitorIds = await grains.GetGrain<ISelfServiceGrain>(GrainKeys.Scoped(parts[0], parts[1])).Authorize(parts[2]);
        return (parts[0], "self:" + parts[1], visitorIds);
    }
}
