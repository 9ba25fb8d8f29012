using ChatCluster.Conversations;
using ChatCluster.Gateway.Auth;
using ChatCluster.Privacy;
using ChatCluster.Routing;
using ChatCluster.Tenants;
using ChatCluster.Visitors;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// Routing settings and the visitor panel (T3, W4). As everywhere, the tenant comes from the caller's token.
/// </summary>
public static class AssignmentEndpoints
{
    public static IEndpointRouteBuilder MapAssignmentEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Agents");
        api.MapGet("/routing", Loads).RequireAuthorization(AgentEndpoints.AgentPolicy).Produces<IReadOnlyList<AgentLoad>>();
        api.MapPut("/agents/{agentId}/capacity", SetCapacity).RequireAuthorization(AgentEndpoints.AdminPolicy).Produces<AgentLoad>();
        api.MapGet("/conversations/{conversationId}/visitor", Visitor).RequireAuthorization(AgentEndpoints.AgentPolicy).Produces<VisitorPanel>();
        return app;
    }

    public sealed record CapacityRequest(int? Capacity);

    public sealed record VisitorPanel(
        string VisitorId, string? Name, string? Email, string? IpNetwork, string? PageUrl, string Browser,
        DateTimeOffset FirstSeenAt, DateTimeOffset LastSeenAt);

    private static async Task<IResult> Loads(HttpContext http, IClusterClient grains) =>
        Results.Ok(await grains.GetGrain<IAgentRoutingGrain>(Principal(http).TenantId).GetLoads());

    private static async Task<IResult> SetCapacity(string agentId, CapacityRequest request, HttpContext http, IClusterClient grains)
    {
        var me = Principal(http);
        if (request.Capacity is not { } capacity) return ProblemMapping.Problem(ErrorCodes.MissingField, "capacity is required.");
        if (!Ids.IsLocalId(agentId) || await grains.GetGrain<ITenantGrain>(me.TenantId).GetAgent(agentId) is null)
            return ProblemMapping.Problem(ErrorCodes.NotFound, "Agent was not found.");
        var routing = grains.GetGrain<IAgentRoutingGrain>(me.TenantId);
        await routing.SetCapacity(agentId, capacity);
        return Results.Ok((await routing.GetLoads()).First(l => l.AgentId == agentId));
    }

    /// <summary>
    /// What the agent needs to know about the person they chat with, in coarse form: name and email if given,
    /// the IP's network (/24, /48), the page and the browser family. Each read is audited (R7) without the data.
    /// </summary>
    private static async Task<IResult> Visitor(string conversationId, HttpContext http, IClusterClient grains, TimeProvider time)
    {
        var me = Principal(http);
        if (!Ids.IsLocalId(conversationId)) return ProblemMapping.Problem(ErrorCodes.NotFound, "Conversation was not found.");
        var summary = await grains.GetGrain<IConversationGrain>(GrainKeys.Scoped(me.TenantId, conversationId)).GetSummary();
        if (summary is null) return ProblemMapping.Problem(ErrorCodes.NotFound, "Conversation was not found.");
        var profile = await grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped(me.TenantId, summary.VisitorId)).GetProfile();
        if (profile is null) return ProblemMapping.Problem(ErrorCodes.NotFound, "The visitor's details are gone (expired or erased).");

        var now = time.GetUtcNow();
        await grains.GetGrain<IAuditLogGrain>(DayKeys.For(me.TenantId, now)).Append(new AuditEntry(
            now, AuditEntry.Agent(me.AgentId), AuditAction.VisitorDetailsViewed, AuditEntry.VisitorSubject(profile.VisitorId),
            AuditEntry.ConversationSubject(conversationId)));
        var connection = profile.LastConnection;
        return Results.Ok(new VisitorPanel(profile.VisitorId, profile.Name, profile.Email, VisitorDetails.TruncateIp(connection.IpAddress),
            connection.PageUrl, VisitorDetails.BrowserFamily(connection.UserAgent), profile.FirstSeenAt, profile.LastSeenAt));
    }

    private static AgentPrincipal Principal(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
}
