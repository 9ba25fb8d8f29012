using ChatCluster.Conversations;
using ChatCluster.Gateway.Api;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Gateway.Reports;
using ChatCluster.Integrations;
using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Integrations;

/// <summary>
/// The REST API for a tenant's own servers (I4), under <c>/api/v1</c>, opened by API keys only, one scope per
/// endpoint. The tenant comes from the key, never from the URL or the body (T1): another tenant's ids are simply not
/// found. Every call is rate-limited per key and audited (<see cref="ApiKeyUse"/>).
/// </summary>
public static class IntegrationApi
{
    public const string Prefix = "/api/v1";
    public const int MaxPage = 100;
    public const int MaxBotNameLength = 60;

    public static IEndpointRouteBuilder MapIntegrationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix).WithTags("Integration API").AddEndpointFilter<ApiKeyUse>();
        api.MapGet("/conversations", List).RequireScope(ApiKeyScopes.ConversationsRead).Produces<ConversationPage>();
        api.MapGet("/conversations/{conversationId}", Read).RequireScope(ApiKeyScopes.ConversationsRead).Produces<HistoryFrame>();
        api.MapPost("/conversations/{conversationId}/messages", Post).RequireScope(ApiKeyScopes.MessagesSend).Produces<PostedMessage>(StatusCodes.Status201Created);
        api.MapPost("/conversations/{conversationId}/close", Close).RequireScope(ApiKeyScopes.ConversationsWrite).Produces<ConversationDto>();
        api.MapPost("/conversations/{conversationId}/assign", Assign).RequireScope(ApiKeyScopes.ConversationsWrite).Produces<ConversationDto>();
        api.MapGet("/reports", Report).RequireScope(ApiKeyScopes.ReportsRead).Produces<TenantReport>();
        return app;
    }

    public static RouteHandlerBuilder RequireScope(this RouteHandlerBuilder builder, string scope) =>
        builder.RequireAuthorization(ApiKeyPolicies.For(scope)).WithMetadata(new ApiKeyScopeRequired(scope));

    /// <param name="Next">Pass as <c>after</c> for the next page; null on the last one.</param>
    /// <remarks>Written with the socket's JSON options (the frames' own names), hence the explicit names.</remarks>
    public sealed record ConversationPage(
        [property: System.Text.Json.Serialization.JsonPropertyName("conversations")] IReadOnlyList<ConversationDto> Conversations,
        [property: System.Text.Json.Serialization.JsonPropertyName("next")] string? Next);

    /// <param name="BotName">Post as a bot with this display name…</param>
    /// <param name="AgentId">…or as this agent of the tenant (exactly one of the two).</param>
    public sealed record PostMessageRequest(string? ClientMessageId, string? Text, string? BotName, string? AgentId);

    public sealed record PostedMessage(long Seq, DateTimeOffset SentAt, bool Duplicate);

    public sealed record AssignRequest(string? AgentId);

    /// <summary>The conversations still within retention (R1), in id order, a page at a time.</summary>
    private static async Task<IResult> List(string? after, int? limit, HttpContext http, IClusterClient grains)
    {
        var key = Caller(http);
        if (limit is < 1 or > MaxPage) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, $"limit is 1 to {MaxPage}.");
        if (after is not null && !Ids.IsLocalId(after)) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "after is a conversation id from a previous page's next.");
        var retained = await grains.GetGrain<IRetentionRegistryGrain>(key.TenantId).List();
        var ids = retained.Where(s => s.Kind == RetainedKind.Conversation).Select(s => s.LocalId)
            .Where(id => after is null || string.CompareOrdinal(id, after) > 0).Order(StringComparer.Ordinal).Take((limit ?? 50) + 1).ToList();
        var page = ids.Take(limit ?? 50).ToList();
        var summaries = await Task.WhenAll(page.Select(id => grains.GetGrain<IConversationGrain>(GrainKeys.Scoped(key.TenantId, id)).GetSummary()));
        return Results.Json(new ConversationPage([.. summaries.OfType<ConversationSummary>().Select(Dto.From)], ids.Count > page.Count ? page[^1] : null), JsonFrameCodec.Options);
    }

    private static async Task<IResult> Read(string conversationId, HttpContext http, IClusterClient grains)
    {
        var key = Caller(http);
        if (!Ids.IsLocalId(conversationId)) return NotFound();
        var transcript = await TranscriptReader.ReadAll(Conversation(grains, key, conversationId), AsCaller(key));
        return Results.Json(Dto.From(transcript, requestId: null), JsonFrameCodec.Options);
    }

    private static async Task<IResult> Post(string conversationId, PostMessageRequest request, HttpContext http, IClusterClient grains)
    {
        var key = Caller(http);
        if (!Ids.IsLocalId(conversationId)) return NotFound();
        if (string.IsNullOrEmpty(request.ClientMessageId)) return ProblemMapping.Problem(ErrorCodes.MissingField, "clientMessageId is required (any unique string; a retry with the same one adds nothing).");
        if (string.IsNullOrWhiteSpace(request.Text)) return ProblemMapping.Problem(ErrorCodes.MissingField, "text is required.");
        if ((request.BotName is null) == (request.AgentId is null)) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "Give exactly one of botName and agentId.");

        Participant sender;
        if (request.BotName is { } bot)
        {
            if (string.IsNullOrWhiteSpace(bot) || bot.Length > MaxBotNameLength) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, $"botName is 1 to {MaxBotNameLength} characters.");
            sender = new Participant(ParticipantKind.System, "bot", bot.Trim());
        }
        else if (await Agent(grains, key, request.AgentId!) is { } agent)
        {
            sender = new Participant(ParticipantKind.Agent, agent.AgentId, agent.DisplayName);
        }
        else
        {
            return ProblemMapping.Problem(ErrorCodes.NotFound, "Agent was not found.");
        }
        var sent = await Conversation(grains, key, conversationId).Send(sender, request.ClientMessageId, request.Text);
        return Results.Created($"{Prefix}/conversations/{conversationId}", new PostedMessage(sent.Seq, sent.SentAt, sent.Duplicate));
    }

    private static async Task<IResult> Close(string conversationId, HttpContext http, IClusterClient grains)
    {
        var key = Caller(http);
        if (!Ids.IsLocalId(conversationId)) return NotFound();
        return Results.Json(Dto.From(await Conversation(grains, key, conversationId).Close(AsCaller(key))), JsonFrameCodec.Options);
    }

    private static async Task<IResult> Assign(string conversationId, AssignRequest request, HttpContext http, IClusterClient grains)
    {
        var key = Caller(http);
        if (!Ids.IsLocalId(conversationId)) return NotFound();
        if (string.IsNullOrEmpty(request.AgentId)) return ProblemMapping.Problem(ErrorCodes.MissingField, "agentId is required.");
        if (await Agent(grains, key, request.AgentId) is not { } agent) return ProblemMapping.Problem(ErrorCodes.NotFound, "Agent was not found.");
        var conversation = Conversation(grains, key, conversationId);
        var summary = await conversation.Assign(new Participant(ParticipantKind.Agent, agent.AgentId, agent.DisplayName));
        return Results.Json(Dto.From(summary), JsonFrameCodec.Options);
    }

    private static async Task<IResult> Report(HttpContext http, IClusterClient grains, TimeProvider time)
    {
        var (report, problem) = await ReportEndpoints.Build(http, Caller(http).TenantId, grains, time);
        return problem ?? Results.Ok(report);
    }

    private static async Task<AgentInfo?> Agent(IClusterClient grains, ApiKeyPrincipal key, string agentId) =>
        Ids.IsLocalId(agentId) ? await grains.GetGrain<ITenantGrain>(key.TenantId).GetAgent(agentId) : null;

    private static IConversationGrain Conversation(IClusterClient grains, ApiKeyPrincipal key, string conversationId) =>
        grains.GetGrain<IConversationGrain>(GrainKeys.Scoped(key.TenantId, conversationId));

    /// <summary>The key acts as a system participant named after itself: seen in status events, never assigned.</summary>
    private static Participant AsCaller(ApiKeyPrincipal key) => new(ParticipantKind.System, key.Actor, "API");

    private static IResult NotFound() => ProblemMapping.Problem(ErrorCodes.NotFound, "Conversation was not found.");

    private static ApiKeyPrincipal Caller(HttpContext http) =>
        ApiKeyPrincipal.FromClaims(http.User) ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Send an API key.");
}
