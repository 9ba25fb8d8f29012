using ChatCluster.Grains.Integrations;
using ChatCluster.Silo.Hosting.Encryption;
using Npgsql;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// The webhook queue in PostgreSQL (<c>webhook_deliveries</c>, migration 0006). Bodies are sealed with AES-256-GCM (S1),
/// bound to their tenant and delivery id. Every statement is scoped by tenant (the primary key's first column). It shares
/// the message log's connection pool (the container owns and disposes it).
/// </summary>
public sealed class PostgresWebhookQueue(NpgsqlDataSource dataSource, PersonalDataCipher cipher) : IWebhookQueue
{
    public async Task Enqueue(string tenantId, IReadOnlyList<QueuedDelivery> deliveries)
    {
        await using var batch = dataSource.CreateBatch();
        foreach (var d in deliveries)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO webhook_deliveries (tenant_id, delivery_id, webhook_id, event_id, event_type, visitor_id, body, created_at, attempts, next_attempt_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            command.Parameters.Add(new NpgsqlParameter { Value = d.DeliveryId });
            command.Parameters.Add(new NpgsqlParameter { Value = d.WebhookId });
            command.Parameters.Add(new NpgsqlParameter { Value = d.EventId });
            command.Parameters.Add(new NpgsqlParameter { Value = d.EventType });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)d.VisitorId ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter { Value = cipher.Seal(d.Body, Context(tenantId, d.DeliveryId)) });
            command.Parameters.Add(new NpgsqlParameter { Value = d.CreatedAt.UtcDateTime });
            command.Parameters.Add(new NpgsqlParameter { Value = d.Attempts });
            command.Parameters.Add(new NpgsqlParameter { Value = d.NextAttemptAt.UtcDateTime });
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<QueuedDelivery>> Pending(string tenantId)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT delivery_id, webhook_id, event_id, event_type, visitor_id, body, created_at, attempts, next_attempt_at
            FROM webhook_deliveries WHERE tenant_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        var rows = new List<QueuedDelivery>();
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            rows.Add(new QueuedDelivery(id, reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                cipher.Open(reader.GetFieldValue<byte[]>(5), Context(tenantId, id)),
                new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero), reader.GetInt32(7), new DateTimeOffset(reader.GetDateTime(8), TimeSpan.Zero)));
        }
        return rows;
    }

    public Task Reschedule(string tenantId, string deliveryId, int attempts, DateTimeOffset nextAttemptAt) =>
        Execute("UPDATE webhook_deliveries SET attempts = $3, next_attempt_at = $4 WHERE tenant_id = $1 AND delivery_id = $2",
            tenantId, deliveryId, attempts, nextAttemptAt.UtcDateTime);

    public Task Remove(string tenantId, IReadOnlyCollection<string> deliveryIds) =>
        Execute("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND delivery_id = ANY($2)", tenantId, deliveryIds.ToArray());

    public Task RemoveVisitor(string tenantId, string visitorId) =>
        Execute("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND visitor_id = $2 AND event_type <> 'visitor.erased'", tenantId, visitorId);

    public Task RemoveWebhook(string tenantId, string webhookId) =>
        Execute("DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2", tenantId, webhookId);

    public Task PurgeTenant(string tenantId) => Execute("DELETE FROM webhook_deliveries WHERE tenant_id = $1", tenantId);

    private async Task Execute(string sql, params object[] values)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static string Context(string tenantId, string deliveryId) => $"webhook_deliveries/{tenantId}/{deliveryId}/body";
}
