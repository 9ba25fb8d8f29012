using ChatCluster.Integrations;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// Tells the tenant's webhooks (I2) what happened. One-way and never awaited: the change is already durable, and a
/// webhook, however slow its receiver, cannot hold up the chat. The webhooks grain drops events no endpoint wants.
/// </summary>
public sealed partial class ConversationGrain
{
    private void NotifyWebhooks(string type, Func<WebhookEvent, WebhookEvent>? details = null)
    {
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
