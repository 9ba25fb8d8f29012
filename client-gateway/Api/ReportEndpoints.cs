using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Reports;
using ChatCluster.Privacy;
using ChatCluster.Reports;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// Reports for admins (A1): <c>GET /api/reports</c> (JSON) and <c>GET /api/reports.csv</c>, over UTC days, from the
/// anonymised day counters only. The tenant comes from the admin's token; a query naming a tenant is refused.
/// </summary>
public static class ReportEndpoints
{
    public const int MaxDays = 366;
    public const int MaxHourlyDays = 31;

    private static readonly HashSet<string> KnownParameters = new(StringComparer.OrdinalIgnoreCase) { "from", "to", "granularity" };

    public static IEndpointRouteBuilder MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Reports").RequireAuthorization(AgentEndpoints.AdminPolicy);
        api.MapGet("/reports", async (HttpContext http, IClusterClient grains, TimeProvider time) =>
        {
            var (report, problem) = await Build(http, Admin(http).TenantId, grains, time);
            return problem ?? Results.Ok(report);
        }).Produces<TenantReport>();
        api.MapGet("/reports.csv", async (HttpContext http, IClusterClient grains, TimeProvider time) =>
        {
            var (report, problem) = await Build(http, Admin(http).TenantId, grains, time);
            if (problem is not null) return problem;
            var name = $"chatcluster-report-{report!.From:yyyy-MM-dd}-{report.To:yyyy-MM-dd}-{report.Granularity.ToString().ToLowerInvariant()}.csv";
            return Results.File(System.Text.Encoding.UTF8.GetBytes(ReportCsv.Write(report)), "text/csv; charset=utf-8", name);
        }).Produces<string>(StatusCodes.Status200OK, "text/csv");
        return app;
    }

    private static AgentPrincipal Admin(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");

    /// <summary>The report of <paramref name="tenantId"/> (the caller's own: an admin's token or an API key) from the request's query.</summary>
    public static async Task<(TenantReport? Report, IResult? Problem)> Build(HttpContext http, string tenantId, IClusterClient grains, TimeProvider time)
    {
        var query = http.Request.Query;
        if (query.Keys.FirstOrDefault(k => !KnownParameters.Contains(k)) is { } unknown)
        {
            var detail = unknown.Contains("tenant", StringComparison.OrdinalIgnoreCase)
                ? "Reports are always of your own tenant, taken from your token; do not name a tenant."
                : $"Unknown parameter '{(unknown.Length > 40 ? unknown[..40] + "…" : unknown)}'; use from, to and granularity.";
            return (null, ProblemMapping.Problem(ErrorCodes.InvalidRequest, detail));
        }

        ReportGranularity? parsed = query["granularity"].ToString().ToLowerInvariant() switch
        {
            "" or "day" => ReportGranularity.Day,
            "hour" => ReportGranularity.Hour,
            _ => null,
        };
        if (parsed is not { } granularity) return (null, ProblemMapping.Problem(ErrorCodes.InvalidRequest, "granularity is day or hour."));

        var maxDays = granularity == ReportGranularity.Hour ? MaxHourlyDays : MaxDays;
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var (range, problem) = DayRange.Parse(Optional(query["from"]), Optional(query["to"]), today, defaultDays: granularity == ReportGranularity.Hour ? 7 : 30, maxDays);
        if (problem is not null) return (null, problem);
        if (range!.From > today)
            return (null, ProblemMapping.Problem(ErrorCodes.InvalidRequest, "from is in the future; there is nothing to report yet."));

        var days = await Task.WhenAll(range.Days().Select(d => grains.GetGrain<IDayReportGrain>(DayKeys.For(tenantId, d)).GetReport()));
        var names = (await grains.GetGrain<ITenantGrain>(tenantId).ListAgents()).ToDictionary(a => a.AgentId, a => a.DisplayName, StringComparer.Ordinal);
        return (TenantReport.Build(range.From, range.To, granularity, days, names), null);
    }

    private static string? Optional(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 ? null : value.ToString();
}
