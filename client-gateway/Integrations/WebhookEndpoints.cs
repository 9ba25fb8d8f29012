using ChatCluster.Gateway.Api;
using ChatCluster.Gateway.Auth;
using ChatCluster.Integrations;
using ChatCluster.Privacy;

namespace ChatCluster.Gateway.Integrations;

/// <summary>
/// Webhook endpoints of the caller's tenant (I2): an admin's token or an API key with <c>webhooks:manage</c>. The
/// secret is in the registration answer only; the delivery log shows status codes and errors, never payloads.
/// </summary>
public static class WebhookEndpoints
{
    public const string Prefix = "/api/settings/webhooks";

    public static IEndpointRouteBuilder MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup(Prefix).WithTags("Integrations").AddEndpointFilter<ApiKeyUse>()
            .RequireAuthorization(ApiKeyPolicies.WebhooksPolicy).WithMetadata(new ApiKeyScopeRequired(ApiKeyScopes.WebhooksManage, AdminTokenToo: true));
        hooks.MapGet("", List).Produces<IReadOnlyList<WebhookInfo>>();
        hooks.MapPost("", Register).Produces<CreatedWebhook>(StatusCodes.Status201Created);
        hooks.MapPatch("/{webhookId}", Change).Produces<WebhookInfo>();
        hooks.MapDelete("/{webhookId}", Delete).Produces(StatusCodes.Status204NoContent);
        hooks.MapGet("/{webhookId}/deliveries", Deliveries).Produces<IReadOnlyList<WebhookDeliveryRecord>>();
        return app;
    }

    /// <param name="Events">Any of conversation.started, message.created, conversation.assigned, conversation.closed, conversation.rated, visitor.erased.</param>
    /// <param name="Secret">16-200 characters; left out, one is made and shown once.</param>
    /// <param name="IncludePersonalData">Payloads carry names, emails, message text and rating comments (off by default).</param>
    public sealed record RegisterRequest(string? Url, List<string>? Events, string? Secret, bool? IncludePersonalData);

    public sealed record ChangeRequest(string? Url, List<string>? Events, bool? IncludePersonalData, bool? Enabled);

    private static async Task<IResult> List(HttpContext http, IClusterClient grains) =>
        Results.Ok(await Webhooks(http, grains).List());

    private static async Task<IResult> Register(RegisterRequest request, HttpContext http, IClusterClient grains)
    {
        if (string.IsNullOrWhiteSpace(request.Url)) return ProblemMapping.Problem(ErrorCodes.MissingField, "url is required.");
        if (request.Events is null or { Count: 0 }) return ProblemMapping.Problem(ErrorCodes.MissingField, "events (a list) is required: " + string.Join(", ", WebhookEventTypes.All) + ".");
        if (request.Events.Count > 20) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "Too many events.");
        var created = await Webhooks(http, grains).Register(new NewWebhook(request.Url, request.Events, request.Secret, request.IncludePersonalData ?? false), Actor(http));
        return Results.Created($"{Prefix}/{created.Webhook.WebhookId}", created);
    }

    private static async Task<IResult> Change(string webhookId, ChangeRequest request, HttpContext http, IClusterClient grains)
    {
        if (!Ids.IsLocalId(webhookId)) return NotFound();
        if (request.Events is { Count: > 20 }) return ProblemMapping.Problem(ErrorCodes.InvalidRequest, "Too many events.");
        return Results.Ok(await Webhooks(http, grains).Change(webhookId, new WebhookChange(request.Url, request.Events, request.IncludePersonalData, request.Enabled), Actor(http)));
    }

    private static async Task<IResult> Delete(string webhookId, HttpContext http, IClusterClient grains)
    {
        if (!Ids.IsLocalId(webhookId)) return NotFound();
        await Webhooks(http, grains).Delete(webhookId, Actor(http));
        return Results.NoContent();
    }

    private static async Task<IResult> Deliveries(string webhookId, HttpContext http, IClusterClient grains) =>
        Ids.IsLocalId(webhookId) ? Results.Ok(await Webhooks(http, grains).Deliveries(webhookId)) : NotFound();

    private static IResult NotFound() => ProblemMapping.Problem(ErrorCodes.NotFound, "Webhook was not found.");

    private static IWebhooksGrain Webhooks(HttpContext http, IClusterClient grains) =>
        grains.GetGrain<IWebhooksGrain>(Tenant(http));

    private static string Tenant(HttpContext http) =>
        http.User.FindFirst(AgentTokens.TenantClaim)?.Value ?? throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in or send an API key.");

    private static string Actor(HttpContext http) =>
        ApiKeyPrincipal.FromClaims(http.User)?.Actor
        ?? (AgentTokens.FromClaims(http.User) is { } agent ? AuditEntry.Agent(agent.AgentId) : throw new ChatRuleException(ErrorCodes.NotAuthenticated, "Log in first."));
}
