using ChatCluster.Conversations;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Inbox;
using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// The team's API. The tenant always comes from the caller's token, never from the URL, so no request
/// can name another tenant's data (T1).
/// </summary>
public static class AgentEndpoints
{
    public const string AgentPolicy = "agent";
    public const string AdminPolicy = "admin";

    public static IEndpointRouteBuilder MapAgentEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Agents");
        api.MapGet("/me", Me).RequireAuthorization(AgentPolicy).Produces<AgentInfo>();
        api.MapGet("/agents", ListAgents).RequireAuthorization(AdminPolicy).Produces<IReadOnlyList<AgentInfo>>();
        api.MapPost("/agents", AddAgent).RequireAuthorization(AdminPolicy).Produces<AgentInfo>(StatusCodes.Status201Created);
        api.MapGet("/inbox", Inbox).RequireAuthorization(AgentPolicy).Produces<IReadOnlyList<ConversationDto>>();
        api.MapGet("/conversations/{conversationId}", Transcript).RequireAuthorization(AgentPolicy).Produces<HistoryFrame>();
        return app;
    }

    private static async Task<IResult> Me(HttpContext http, IClusterClient grains)
    {
        var me = Principal(http);
        var agent = await grains.GetGrain<ITenantGrain>(me.TenantId).GetAgent(me.AgentId);
        return agent is null ? ProblemMapping.Problem(ErrorCodes.InvalidToken, "This account no longer exists.") : Results.Ok(agent);
    }

    private static async Task<IResult> ListAgents(HttpContext http, IClusterClient grains) =>
        Results.Ok(await grains.GetGrain<ITenantGrain>(Principal(http).TenantId).ListAgents());

    private static async Task<IResult> AddAgent(TenantEndpoints.NewMemberRequest request, HttpContext http, IClusterClient grains)
    {
        var me = Principal(http);
        if (!Enum.TryParse<AgentRole>(request.Role ?? "agent", ignoreCase: true, out var role) || !Enum.IsDefined(role))
            return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "role is owner, admin or agent.");
        if (role > AgentRole.Agent && me.Role != AgentRole.Owner)
            return ProblemMapping.Problem(ErrorCodes.Forbidden, "Only an owner adds admins and owners.");
        if (Passwords.Problem(request.Password) is { } weak) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "password: " + weak);
        var added = await grains.GetGrain<ITenantGrain>(me.TenantId)
            .AddAgent(new NewAgent(request.Email ?? "", request.DisplayName ?? "", role, Passwords.Hash(request.Password!)));
        return Results.Created($"/api/agents/{added.AgentId}", added);
    }

    /// <summary>The same shapes as the socket's frames (docs/protocol.md), timestamps in epoch milliseconds.</summary>
    private static async Task<IResult> Inbox(HttpContext http, IClusterClient grains) =>
        Results.Json((await grains.GetGrain<ITenantInboxGrain>(Principal(http).TenantId).List()).Select(Dto.From), JsonFrameCodec.Options);

    private static async Task<IResult> Transcript(string conversationId, HttpContext http, IClusterClient grains, TimeProvider time)
    {
        var me = Principal(http);
        if (!Ids.IsLocalId(conversationId)) return ProblemMapping.Problem(ErrorCodes.NotFound, "Conversation was not found.");
        var conversation = grains.GetGrain<IConversationGrain>(GrainKeys.Scoped(me.TenantId, conversationId));
        var messages = new List<ChatMessage>();
        HistoryPage page;
        do
        {
            page = await conversation.GetHistory(me.AsParticipant(), messages.Count == 0 ? 0 : messages[^1].Seq, MessageLimits.MaxHistoryPage);
            messages.AddRange(page.Messages);
        }
        while (page.HasMore);
        var transcript = Dto.From(new HistoryPage(page.Conversation, messages, page.ReadMarks, HasMore: false), requestId: null);
        await SubjectRightsEndpoints.AuditAdmin(grains, me, time, AuditAction.TranscriptRead, AuditEntry.ConversationSubject(conversationId)); // R7
        return Results.Json(transcript, JsonFrameCodec.Options);
    }

    private static AgentPrincipal Principal(HttpContext http) =>
        AgentTokens.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first.");
}
