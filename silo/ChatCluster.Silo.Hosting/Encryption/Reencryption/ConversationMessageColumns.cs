using ChatCluster.Silo.Hosting.Database;
using Npgsql;

namespace ChatCluster.Silo.Hosting.Encryption.Reencryption;

/// <summary>
/// <c>conversation_messages.sender_name</c> and <c>.body</c> (migration 0005): each value sealed with the context
/// <see cref="PostgresConversationLog.Context"/> of its conversation, sequence number and column. Rows are walked in
/// primary-key order. Messages are never edited, only deleted (retention, erasure), so a write-back that finds the
/// value changed or gone leaves it alone.
/// </summary>
public sealed class ConversationMessageColumns(NpgsqlDataSource dataSource) : ISealedTable
{
    private const string FirstBatchSql = """
        SELECT tenant_id, conversation_id, seq, sender_name, body
        FROM conversation_messages
        ORDER BY tenant_id, conversation_id, seq
        LIMIT @limit
        """;

    private const string NextBatchSql = """
        SELECT tenant_id, conversation_id, seq, sender_name, body
        FROM conversation_messages
        WHERE (tenant_id, conversation_id, seq) > (@tenant, @conversation, @seq)
        ORDER BY tenant_id, conversation_id, seq
        LIMIT @limit
        """;

    // Column names come from this fixed list only, never from input.
    private static readonly string[] SealedColumns = ["sender_name", "body"];

    private (string Tenant, string Conversation, long Seq)? cursor;

    public string Name => "conversation_messages";

    public async Task<IReadOnlyList<SealedCell>> NextBatch(int batchSize, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(cursor is null ? FirstBatchSql : NextBatchSql);
        command.Parameters.AddWithValue("limit", batchSize);
        if (cursor is var (tenantAfter, conversationAfter, seqAfter))
        {
            command.Parameters.AddWithValue("tenant", tenantAfter);
            command.Parameters.AddWithValue("conversation", conversationAfter);
            command.Parameters.AddWithValue("seq", seqAfter);
        }
        var cells = new List<SealedCell>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var (tenant, conversation, seq) = (reader.GetString(0), reader.GetString(1), reader.GetInt64(2));
            var conversationKey = $"{tenant}{GrainKeys.Separator}{conversation}";
            for (var i = 0; i < SealedColumns.Length; i++)
            {
                if (reader.IsDBNull(3 + i)) continue;
                var column = SealedColumns[i];
                var value = reader.GetFieldValue<byte[]>(3 + i);
                cells.Add(new SealedCell($"conversation_messages.{column}", $"{conversationKey} #{seq}", value,
                    PostgresConversationLog.Context(conversationKey, seq, column),
                    (resealed, ct) => WriteBack(tenant, conversation, seq, column, value, resealed, ct)));
            }
            cursor = (tenant, conversation, seq);
        }
        return cells;
    }

    private async Task<bool> WriteBack(string tenant, string conversation, long seq, string column, byte[] old, byte[] resealed,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"UPDATE conversation_messages SET {column} = @value WHERE tenant_id = @tenant AND conversation_id = @conversation AND seq = @seq AND {column} = @old");
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("conversation", conversation);
        command.Parameters.AddWithValue("seq", seq);
        command.Parameters.AddWithValue("old", old);
        command.Parameters.AddWithValue("value", resealed);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }
}
