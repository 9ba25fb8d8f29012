using ChatCluster.Conversations;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Inbox;
using ChatCluster.Privacy;
using ChatCluster.Security;
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

    /// <summary>
    /// With a password the member can log in at once; without one they are invited: the answer carries a one-time
    /// <c>invitation</c> code they redeem at <c>POST /api/auth/accept-invitation</c> to set their own (T2). When the
    /// tenant requires two-step login it also carries their <c>enrolmentCode</c>.
    /// </summary>
    private static async Task<IResult> AddAgent(TenantEndpoints.NewMemberRequest request, HttpContext http, IClusterClient grains, AuthOptions auth, TenantStandings standings)
    {
        var me = Principal(http);
        if (!Enum.TryParse<AgentRole>(request.Role ?? "agent", ignoreCase: true, out var role) || !Enum.IsDefined(role))
            return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "role is owner, admin or agent.");
        if (role > AgentRole.Agent && me.Role != AgentRole.Owner)
            return ProblemMapping.Problem(ErrorCodes.Forbidden, "Only an owner adds admins and owners.");
        var invited = request.Password is null;
        if (!invited && Passwords.Problem(request.Password) is { } weak) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "password: " + weak);
        // An invited member's password is random and never told: only the invitation code lets them choose one.
        var tenant = grains.GetGrain<ITenantGrain>(me.TenantId);
        var added = await tenant.AddAgent(new NewAgent(request.Email ?? "", request.DisplayName ?? "", role, Passwords.Hash(invited ? Ids.Random(30) : request.Password!)));
        standings.Forget(me.TenantId); // the new member's first token must match at once
        var invitation = invited ? await TeamEndpoints.SetupCode(grains, me.TenantId, added.AgentId, SetupPurpose.Invitation, auth.InvitationLifetime) : null;
        var enrolment = (await tenant.GetSecurity()).RequireMfa
            ? await TeamEndpoints.SetupCode(grains, me.TenantId, added.AgentId, SetupPurpose.MfaEnrolment, auth.EnrolmentCodeLifetime)
            : null;
        return Results.Created($"/api/agents/{added.AgentId}", new AddedMember(added, invitation?.Code, invitation?.ExpiresAt, enrolment?.Code, enrolment?.ExpiresAt));
    }

    /// <summary>The member as <see cref="AgentInfo"/>, and the one-time codes to hand them (shown once).</summary>
    public sealed record AddedMember(
        string AgentId, string Email, string DisplayName, AgentRole Role, DateTimeOffset CreatedAt,
        string? Invitation, DateTimeOffset? InvitationExpiresAt, string? EnrolmentCode, DateTimeOffset? EnrolmentCodeExpiresAt)
    {
        public AddedMember(AgentInfo agent, string? invitation, DateTimeOffset? invitationExpiresAt, string? enrolmentCode, DateTimeOffset? enrolmentCodeExpiresAt)
            : this(agent.AgentId, agent.Email, agent.DisplayName, agent.Role, agent.CreatedAt, invitation, invitationExpiresAt, enrolmentCode, enrolmentCodeExpiresAt) { }
    }

    /// <summary>The same shapes as the socket's frames (docs/protocol.md), timestamps in epoch milliseconds.</summary>
    /// <remarks>
    /// One page (issue 15): <c>limit</c> (1–200, default 100) conversations after the <c>before</c> cursor; the
    /// headers say how many are live in all (<c>X-Inbox-Total</c>) and where the next page starts (<c>X-Inbox-Next</c>).
    /// </remarks>
    private static async Task<IResult> Inbox(HttpContext http, IClusterClient grains, int? limit, string? before)
    {
        if (limit is < 1 or > InboxLimits.MaxPage) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, $"limit is between 1 and {InboxLimits.MaxPage}.");
        if (!InboxPaging.TryParse(before, out var cursor)) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "before is the X-Inbox-Next value of the previous page.");
        var page = await grains.GetGrain<ITenantInboxGrain>(Principal(http).TenantId).Page(limit ?? InboxLimits.DefaultPage, cursor);
        http.Response.Headers["X-Inbox-Total"] = page.Total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (InboxPaging.Next(page) is { } next) http.Response.Headers["X-Inbox-Next"] = next;
        return Results.Json(page.Conversations.Select(Dto.From), JsonFrameCodec.Options);
    }

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
