namespace ChatCluster.Grains.Integrations;

/// <summary>
/// Deliveries waiting to be sent (I2), durable: PostgreSQL (<c>webhook_deliveries</c>) in cluster mode, so a silo restart
/// loses none; memory in the embedded default. The tenant's webhooks grain is the only writer of its rows.
/// </summary>
public interface IWebhookQueue
{
    Task Enqueue(string tenantId, IReadOnlyList<QueuedDelivery> deliveries);

    Task<IReadOnlyList<QueuedDelivery>> Pending(string tenantId);

    Task Reschedule(string tenantId, string deliveryId, int attempts, DateTimeOffset nextAttemptAt);

    Task Remove(string tenantId, IReadOnlyCollection<string> deliveryIds);

    /// <summary>Removes every queued delivery about <paramref name="visitorId"/> (erasure, R5).</summary>
    Task RemoveVisitor(string tenantId, string visitorId);

    Task RemoveWebhook(string tenantId, string webhookId);

    Task PurgeTenant(string tenantId);
}

/// <param name="Body">The exact bytes to sign and post (may hold personal data: encrypted at rest in PostgreSQL).</param>
[GenerateSerializer]
public sealed record QueuedDelivery(
    string DeliveryId, string WebhookId, string EventId, string EventType, string? VisitorId, byte[] Body,
    DateTimeOffset CreatedAt, int Attempts, DateTimeOffset NextAttemptAt);

public sealed class InMemoryWebhookQueue : IWebhookQueue
{
    private readonly Dictionary<string, Dictionary<string, QueuedDelivery>> byTenant = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public Task Enqueue(string tenantId, IReadOnlyList<QueuedDelivery> deliveries)
    {
        lock (gate)
        {
            if (!byTenant.TryGetValue(tenantId, out var rows)) byTenant[tenantId] = rows = new(StringComparer.Ordinal);
            foreach (var d in deliveries) rows[d.DeliveryId] = d;
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<QueuedDelivery>> Pending(string tenantId)
    {
        lock (gate) return Task.FromResult<IReadOnlyList<QueuedDelivery>>(byTenant.TryGetValue(tenantId, out var rows) ? [.. rows.Values] : []);
    }

    public Task Reschedule(string tenantId, string deliveryId, int attempts, DateTimeOffset nextAttemptAt)
    {
        lock (gate)
        {
            if (byTenant.TryGetValue(tenantId, out var rows) && rows.TryGetValue(deliveryId, out var d))
                rows[deliveryId] = d with { Attempts = attempts, NextAttemptAt = nextAttemptAt };
        }
        return Task.CompletedTask;
    }

    public Task Remove(string tenantId, IReadOnlyCollection<string> deliveryIds) => Where(tenantId, d => deliveryIds.Contains(d.DeliveryId));

    public Task RemoveVisitor(string tenantId, string visitorId) => Where(tenantId, d => d.VisitorId == visitorId);

    public Task RemoveWebhook(string tenantId, string webhookId) => Where(tenantId, d => d.WebhookId == webhookId);

    public Task PurgeTenant(string tenantId)
    {
        lock (gate) byTenant.Remove(tenantId);
        return Task.CompletedTask;
    }

    private Task Where(string tenantId, Func<QueuedDelivery, bool> doomed)
    {
        lock (gate)
        {
            if (byTenant.TryGetValue(tenantId, out var rows))
                foreach (var id in rows.Values.Where(doomed).Select(d => d.DeliveryId).ToList()) rows.Remove(id);
        }
        return Task.CompletedTask;
    }
}
