using ChatCluster.Gateway.Auth;
using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// The tenant admin's privacy API (R1, R2, R4, R5, R7): retention settings, statistics, erasure, holds and the
/// audit log. The tenant comes from the admin's token, so a visitor id of another tenant is simply not found.
/// </summary>
public static class PrivacyEndpoints
{
    public const int MaxStatsDays = 366;
    public const int MaxAuditDays = 92;

    public static IEndpointRouteBuilder MapPrivacyEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Privacy").RequireAuthorization(AgentEndpoints.AdminPolicy);
        api.MapGet("/settings/retention", GetRetention).Produces<RetentionResponse>();
        api.MapPut("/settings/retention", SetRetention).Produces<RetentionResponse>();
        api.MapGet("/stats", Stats).Produces<StatsResponse>();
        api.MapPost("/privacy/erasure", Erase).Produces<ErasureReport>();
        api.MapPut("/privacy/holds/tenant", (HoldRequest body, HttpContext http, IClusterClient grains) => PlaceHold(HoldScope.Tenant, null, body, http, grains)).Produces<HoldReport>();
        api.MapDelete("/privacy/holds/tenant", (HttpContext http, IClusterClient grains) => LiftHold(HoldScope.Tenant, null, http, grains)).Produces<HoldReport>();
        api.MapPut("/privacy/holds/visitors/{id}", (string id, HoldRequest body, HttpContext http, IClusterClient grains) => PlaceHold(HoldScope.Visitor, id, body, http, grains)).Produces<HoldReport>();
        api.MapDelete("/privacy/holds/visitors/{id}", (string id, HttpContext http, IClusterClient grains) => LiftHold(HoldScope.Visitor, id, http, grains)).Produces<HoldReport>();
        api.MapPut("/privacy/holds/conversations/{id}", (string id, HoldRequest body, HttpContext http, IClusterClient grains) => PlaceHold(HoldScope.Conversation, id, body, http, grains)).Produces<HoldReport>();
        api.MapDelete("/privacy/holds/conversations/{id}", (string id, HttpContext http, IClusterClient grains) => LiftHold(HoldScope.Conversation, id, http, grains)).Produces<HoldReport>();
        api.MapGet("/audit", Audit).Produces<AuditPage>();
        return app;
    }

    /// <summary><c>period</c> as <c>d.hh:mm:ss</c>, or <c>periodDays</c>; exactly one of them.</summary>
    public sealed record RetentionRequest(TimeSpan? Period, double? PeriodDays, bool? KeepRedactedEmail);

    public sealed record RetentionResponse(TimeSpan Period, double PeriodDays, bool KeepRedactedEmail, LegalHold? TenantHold);

    public sealed record ErasureRequest(string? VisitorId);

    public sealed record HoldRequest(string? Reason);

    public sealed record AuditPage(DateOnly From, DateOnly To, IReadOnlyList<AuditEntry> Entries);

    public sealed record StatsResponse(DateOnly From, DateOnly To, StatsTotals Totals, IReadOnlyList<DailyStats> Days);

    public sealed record StatsTotals(
        long ConversationsStarted, long VisitorMessages, long AgentMessages, double? AverageFirstResponseSeconds,
        long Resolved, double? AverageResolutionSeconds, long Expired, long Erased)
    {
        /// <summary>Conversations started by the visitor's country (coarse location, R2); <c>ZZ</c> is unknown.</summary>
        public IReadOnlyDictionary<string, long> ConversationsByCountry { get; init; } = new Dictionary<string, long>();
    }

    private static async Task<IResult> GetRetention(HttpContext http, IClusterClient grains) =>
        Results.Ok(Describe(await grains.GetGrain<ITenantGrain>(Admin(http).TenantId).GetRetentionRules()));

    private static async Task<IResult> SetRetention(RetentionRequest request, HttpContext http, IClusterClient grains)
    {
        var me = Admin(http);
        if (request.Period is null == request.PeriodDays is null)
            return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "Give either period (d.hh:mm:ss) or periodDays, not both and not neither.");
        if (request.PeriodDays is { } days && (!double.IsFinite(days) || days <= 0 || days > 100 * 365))
            return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "periodDays is a positive number of days.");
        var period = request.Period ?? TimeSpan.FromDays(request.PeriodDays!.Value);
        var tenant = grains.GetGrain<ITenantGrain>(me.TenantId);
        var keep = request.KeepRedactedEmail ?? (await tenant.GetRetentionRules()).Policy.KeepRedactedEmail;
        var rules = await tenant.SetRetentionPolicy(new RetentionPolicy(period, keep), AuditEntry.Agent(me.AgentId));
        return Results.Ok(Describe(rules));
    }

    private static async Task<IResult> Stats(string? from, string? to, HttpContext http, IClusterClient grains, TimeProvider time)
    {
        var me = Admin(http);
        var (range, problem) = DayRange.Parse(from, to, Today(time), defaultDays: 30, MaxStatsDays);
        if (problem is not null) return problem;
        var days = await Task.WhenAll(range!.Days().Select(d => grains.GetGrain<IDailyStatsGrain>(DayKeys.For(me.TenantId, d)).Get()));
        var firstResponses = days.Sum(d => d.FirstResponses);
        var resolved = days.Sum(d => d.Resolved);
        var totals = new StatsTotals(
            days.Sum(d => d.ConversationsStarted), days.Sum(d => d.VisitorMessages), days.Sum(d => d.AgentMessages),
            firstResponses == 0 ? null : days.Sum(d => d.FirstResponseSecondsTotal) / firstResponses,
            resolved, resolved == 0 ? null : days.Sum(d => d.ResolutionSecondsTotal) / resolved,
            days.Sum(d => d.Expired), days.Sum(d => d.Erased))
        {
            ConversationsByCountry = CountryCodes.Total(days.Select(d => d.ConversationsByCountry)),
        };
        return Results.Ok(new StatsResponse(range.From, range.To, totals, days));
    }

    private static async Task<IResult> Erase(ErasureRequest request, HttpContext http, IClusterClient grains)
    {
        var me = Admin(http);
        if (string.IsNullOrWhiteSpace(request.VisitorId)) return ProblemMapping.Problem(ErrorCodes.MissingField, "visitorId is required.");
        if (!Ids.IsLocalId(request.VisitorId) || !request.VisitorId.StartsWith("v_", StringComparison.Ordinal))
            return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "visitorId is a visitor id such as v_abcdefgh…, as shown to the visitor's widget.");
        var visitorId = request.VisitorId;
        return Results.Ok(await SubjectRightsEndpoints.Tracked(grains, me, PrivacyRequestKind.Erasure, visitorId,
            () => grains.GetGrain<IDataProtectionGrain>(me.TenantId).EraseVisitor(visitorId, AuditEntry.Agent(me.AgentId))));
    }

    private static async Task<IResult> PlaceHold(HoldScope scope, string? id, HoldRequest request, HttpContext http, IClusterClient grains)
    {
        var me = Admin(http);
        if (string.IsNullOrWhiteSpace(request.Reason)) return ProblemMapping.Problem(ErrorCodes.MissingField, "reason is required: why the data must be kept.");
        return Results.Ok(await grains.GetGrain<IDataProtectionGrain>(me.TenantId).PlaceHold(scope, id, request.Reason, AuditEntry.Agent(me.AgentId)));
    }

    private static async Task<IResult> LiftHold(HoldScope scope, string? id, HttpContext http, IClusterClient grains)
    {
        var me = Admin(http);
        return Results.Ok(await grains.GetGrain<IDataProtectionGrain>(me.TenantId).LiftHold(scope, id, AuditEntry.Agent(me.AgentId)));
    }

    private static async Task<IResult> Audit(string? from, string? to, HttpContext http, IClusterClient grains, TimeProvider time)
    {
        var me = Admin(http);
        var (range, problem) = DayRange.Parse(from, to, Today(time), defaultDays: 7, MaxAuditDays);
        if (problem is not null) return problem;
        var days = await Task.WhenAll(range!.Days().Select(d => grains.GetGrain<IAuditLogGrain>(DayKeys.For(me.TenantId, d)).List()));
        return Results.Ok(new AuditPage(range.From, range.To, [.. days.SelectMany(d => d).OrderBy(e => e.At)]));
    }

    private static RetentionResponse Describe(RetentionRules rules) =>
        new(rules.Policy.Period, rules.Policy.Period.TotalDays, rules.Policy.KeepRedactedEmail, rules.TenantHold);

    private static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    private static AgentPrincipal Admin(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
}
