using ChatCluster.Integrations;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// Tells the tenant's webhooks (I2) what happened. One-way and never awaited: the change is already durable, and a
/// webhook, however slow its receiver, cannot hold up the chat. Events no endpoint wants are not sent at all: the
/// conversation learns the tenant's subscribed event types on a send at most every <see cref="WebhookInterestLifetime"/>
/// (so a tenant's single webhooks grain is not on the per-message path, issue 13), and until it knows, it sends
/// everything and the webhooks grain drops what nobody wants. An endpoint registered or enabled gets a live
/// conversation's messages from at most that long after (docs/integrations.md).
/// </summary>
public sealed partial class ConversationGrain
{
    private static readonly TimeSpan WebhookInterestLifetime = TimeSpan.FromSeconds(2);

    private HashSet<string>? webhookInterest;
    private DateTimeOffset webhookInterestAt;

    private async Task RefreshWebhookInterest()
    {
        var now = time.GetUtcNow();
        if (webhookInterest is not null && now - webhookInterestAt < WebhookInterestLifetime && now >= webhookInterestAt) return;
        try
        {
            webhookInterest = [.. await GrainFactory.GetGrain<IWebhooksGrain>(tenantId).Interest()];
            webhookInterestAt = now;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            webhookInterest = null; // not known: publish everything, as before; the send itself goes on
        }
    }

    private void NotifyWebhooks(string type, Func<WebhookEvent, WebhookEvent>? details = null)
    {
        if (webhookInterest is { } wanted && !wanted.Contains(type)) return;
        var e = new WebhookEvent(type, time.GetUtcNow())
        {
            ConversationId = conversationId,
            VisitorId = state.State.VisitorId,
            Status = state.State.Status.ToString().ToLowerInvariant(),
            AgentId = state.State.AssignedAgentId,
            ProcessingRestricted = state.State.ProcessingRestricted,
        };
        _ = GrainFactory.GetGrain<IWebhooksGrain>(tenantId).Publish(details is null ? e : details(e));
    }
}
