using ChatCluster.Gateway.Ai;
using ChatCluster.Gateway.Auth;
using ChatCluster.Insights;
using ChatCluster.Privacy;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// Optional AI features (A2): a conversation's sentiment and summary for agents, a weekly digest for admins, the
/// tenant's AI settings, and the log of every AI call. Tenant from the token, as everywhere (T1).
/// </summary>
public static class InsightEndpoints
{
    public const int MaxCallLogDays = 92;

    public static IEndpointRouteBuilder MapInsightEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("AI");
        api.MapGet("/conversations/{conversationId}/insights", Insights).RequireAuthorization(AgentEndpoints.AgentPolicy).Produces<InsightsAnswer>();
        api.MapGet("/settings/ai", GetSettings).RequireAuthorization(AgentEndpoints.AgentPolicy).Produces<AiSettingsResponse>();
        api.MapPut("/settings/ai", SetSettings).RequireAuthorization(AgentEndpoints.AdminPolicy).Produces<AiSettingsResponse>();
        api.MapGet("/insights/weekly", Weekly).RequireAuthorization(AgentEndpoints.AdminPolicy).Produces<DigestAnswer>();
        api.MapGet("/ai/calls", Calls).RequireAuthorization(AgentEndpoints.AdminPolicy).Produces<AiCallPage>();
        return app;
    }

    public sealed record AiSettingsRequest(bool? Enabled, bool? ModelTrainingOptOut);

    public sealed record AiCallPage(DateOnly From, DateOnly To, IReadOnlyList<AiCallRecord> Calls);

    public sealed record AiSettingsResponse(bool Enabled, bool ModelTrainingOptOut, string Provider, bool Remote);

    private static async Task<IResult> Insights(string conversationId, HttpContext http, ConversationInsights insights)
    {
        var me = Principal(http);
        if (!Ids.IsLocalId(conversationId)) return ProblemMapping.Problem(ErrorCodes.NotFound, "Conversation was not found.");
        return Results.Ok(await insights.ForConversation(me, conversationId, http.RequestAborted));
    }

    private static async Task<IResult> GetSettings(HttpContext http, IClusterClient grains, IInsightProvider provider) =>
        Results.Ok(Describe(await grains.GetGrain<ITenantAiSettingsGrain>(Principal(http).TenantId).Get(), provider));

    private static async Task<IResult> SetSettings(AiSettingsRequest request, HttpContext http, IClusterClient grains, IInsightProvider provider)
    {
        if (request.Enabled is null && request.ModelTrainingOptOut is null)
            return ProblemMapping.Problem(ErrorCodes.MissingField, "Give enabled and/or modelTrainingOptOut (true or false).");
        var me = Principal(http);
        var settings = grains.GetGrain<ITenantAiSettingsGrain>(me.TenantId);
        var current = await settings.Get();
        var next = new AiSettings(request.Enabled ?? current.Enabled, request.ModelTrainingOptOut ?? current.ModelTrainingOptOut);
        return Results.Ok(Describe(await settings.Set(next, AuditEntry.Agent(me.AgentId)), provider)); // audited by the grain (R7)
    }

    private static async Task<IResult> Weekly(HttpContext http, ConversationInsights insights) =>
        Results.Ok(await insights.Weekly(Principal(http), http.RequestAborted));

    private static async Task<IResult> Calls(string? from, string? to, HttpContext http, IClusterClient grains, TimeProvider time)
    {
        var me = Principal(http);
        var (range, problem) = DayRange.Parse(from, to, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime), defaultDays: 7, MaxCallLogDays);
        if (problem is not null) return problem;
        var days = await Task.WhenAll(range!.Days().Select(d => grains.GetGrain<IAiCallLogGrain>(DayKeys.For(me.TenantId, d)).List()));
        return Results.Ok(new AiCallPage(range.From, range.To, [.. days.SelectMany(d => d).OrderBy(c => c.At)]));
    }

    private static AiSettingsResponse Describe(AiSettings settings, IInsightProvider provider) =>
        new(settings.Enabled, settings.ModelTrainingOptOut, provider.Name, provider.IsRemote);

    private static AgentPrincipal Principal(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
}
