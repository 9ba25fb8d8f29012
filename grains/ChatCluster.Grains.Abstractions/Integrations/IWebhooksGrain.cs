using Orleans.Concurrency;

namespace ChatCluster.Integrations;

/// <summary>
/// A tenant's webhook endpoints and their deliveries (I2). Keyed by tenant id. Grains hand it events one-way and
/// never wait for it: a delivery is queued durably and sent in the background, so a slow receiver cannot slow a chat.
/// </summary>
public interface IWebhooksGrain : IGrainWithStringKey
{
    /// <summary>Registers an endpoint; a target in a private, loopback or link-local range is refused unless the operator allows it.</summary>
    Task<CreatedWebhook> Register(NewWebhook webhook, string actor);

    Task<IReadOnlyList<WebhookInfo>> List();

    /// <summary>Changes an endpoint; enabling a disabled one clears its failure count and reason.</summary>
    Task<WebhookInfo> Change(string webhookId, WebhookChange change, string actor);

    /// <summary>Deletes an endpoint and drops its queued deliveries.</summary>
    Task Delete(string webhookId, string actor);

    /// <summary>The endpoint's latest deliveries, newest first: status codes, outcomes, errors (never payloads).</summary>
    Task<IReadOnlyList<WebhookDeliveryRecord>> Deliveries(string webhookId);

    /// <summary>
    /// The event types at least one enabled endpoint subscribed to (empty when none): a conversation asks every couple
    /// of seconds and publishes only those, so a tenant without webhooks costs no call per message.
    /// </summary>
    [ReadOnly]
    Task<string[]> Interest();

    /// <summary>Queues <paramref name="e"/> for every enabled endpoint that subscribed to its type.</summary>
    [OneWay]
    Task Publish(WebhookEvent e);

    /// <summary>Drops queued deliveries about <paramref name="visitorId"/> (erasure, R5), before the erasure event is queued.</summary>
    Task ForgetVisitor(string visitorId);

    /// <summary>Deletes every endpoint, log and queued delivery (account closure, R3).</summary>
    Task Purge();
}

public static class WebhookEventTypes
{
    public const string ConversationStarted = "conversation.started";
    public const string MessageCreated = "message.created";
    public const string ConversationAssigned = "conversation.assigned";
    public const string ConversationClosed = "conversation.closed";
    public const string ConversationRated = "conversation.rated";
    public const string VisitorErased = "visitor.erased";

    public static readonly IReadOnlyList<string> All =
        [ConversationStarted, MessageCreated, ConversationAssigned, ConversationClosed, ConversationRated, VisitorErased];

    public static bool IsKnown(string type) => All.Contains(type, StringComparer.Ordinal);
}

/// <param name="Secret">The signing secret; null to have one generated (shown once in the answer).</param>
/// <param name="IncludePersonalData">Payloads carry the visitor's name and email, message text and rating comments (never for a visitor who restricted processing).</param>
[GenerateSerializer, Immutable]
public sealed record NewWebhook(string Url, IReadOnlyList<string> Events, string? Secret, bool IncludePersonalData);

[GenerateSerializer, Immutable]
public sealed record WebhookChange(string? Url, IReadOnlyList<string>? Events, bool? IncludePersonalData, bool? Enabled);

[GenerateSerializer, Immutable]
public sealed record WebhookInfo(
    string WebhookId, string Url, IReadOnlyList<string> Events, bool IncludePersonalData, bool Enabled,
    string? DisabledReason, DateTimeOffset? DisabledAt, int ConsecutiveFailures, int Pending, DateTimeOffset CreatedAt);

/// <param name="Secret">The signing secret: shown here once, never again.</param>
[GenerateSerializer, Immutable]
public sealed record CreatedWebhook(WebhookInfo Webhook, string Secret);

/// <param name="Outcome"><c>delivered</c>, <c>failed</c> (will retry), <c>abandoned</c> (retry time used up) or <c>dropped</c> (endpoint disabled or deleted).</param>
[GenerateSerializer, Immutable]
public sealed record WebhookDeliveryRecord(
    string DeliveryId, string EventId, string EventType, DateTimeOffset At, int Attempt, int? StatusCode, string Outcome, string? Error, long DurationMs);

/// <summary>
/// Something that happened, as the grain that saw it tells it. Personal fields travel to the webhooks grain, which
/// writes them into a payload only for endpoints that asked for them (and never for a restricted visitor).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record WebhookEvent(string Type, DateTimeOffset At)
{
    [Id(0)] public string? ConversationId { get; init; }
    [Id(1)] public string? VisitorId { get; init; }
    [Id(2)] public string? AgentId { get; init; }
    [Id(3)] public string? Status { get; init; }
    [Id(4)] public long? Seq { get; init; }
    [Id(5)] public Participant? Sender { get; init; }
    [Id(6)] public int? Score { get; init; }

    /// <summary>For <c>visitor.erased</c>: what was erased, by kind and count, never the data itself.</summary>
    [Id(7)] public IReadOnlyDictionary<string, int>? Erased { get; init; }

    /// <summary>The visitor restricted processing or objected (R5): no personal field leaves, whatever the endpoint asked.</summary>
    [Id(8)] public bool ProcessingRestricted { get; init; }

    [Id(20)] public string? VisitorName { get; init; }
    [Id(21)] public string? VisitorEmail { get; init; }
    [Id(22)] public string? Text { get; init; }
    [Id(23)] public string? Comment { get; init; }
}
