using System.Text;
using ChatCluster.Conversations;
using ChatCluster.Grains.Conversations;
using ChatCluster.Silo.Hosting.Encryption;
using Npgsql;
using NpgsqlTypes;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// The message log in PostgreSQL (<c>conversation_messages</c>, migration 0005): one INSERT per
/// accepted message, so a message costs the same however long its conversation is. The grain
/// acknowledges a message only after <see cref="Append"/> returns, which makes the ack a promise
/// that survives the death of any process (issue 3, "message durability"). <c>sender_name</c> and <c>body</c> are
/// sealed with AES-256-GCM (S1), bound to their conversation, sequence number and column.
/// </summary>
public sealed class PostgresConversationLog(NpgsqlDataSource dataSource, PersonalDataCipher cipher) : IConversationLog, IAsyncDisposable
{
    private const string InsertSql = """
        INSERT INTO conversation_messages
            (tenant_id, conversation_id, seq, client_message_id, sender_kind, sender_id, sender_name, body, sent_at)
        VALUES (@tenant, @conversation, @seq, @client_message_id, @sender_kind, @sender_id, @sender_name, @body, @sent_at)
        """;

    private const string ReadAllSql = """
        SELECT seq, client_message_id, sender_kind, sender_id, sender_name, body, sent_at
        FROM conversation_messages
        WHERE tenant_id = @tenant AND conversation_id = @conversation
        ORDER BY seq
        """;

    private const string DeleteSql = "DELETE FROM conversation_messages WHERE tenant_id = @tenant AND conversation_id = @conversation";

    public async Task Append(string conversationKey, ChatMessage message)
    {
        var (tenant, conversation) = GrainKeys.Split(conversationKey);
        await using var command = dataSource.CreateCommand(InsertSql);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("conversation", conversation);
        command.Parameters.AddWithValue("seq", message.Seq);
        command.Parameters.AddWithValue("client_message_id", message.ClientMessageId);
        command.Parameters.AddWithValue("sender_kind", KindName(message.Sender.Kind));
        command.Parameters.AddWithValue("sender_id", message.Sender.Id);
        command.Parameters.Add(new NpgsqlParameter("sender_name", NpgsqlDbType.Bytea)
        {
            Value = message.Sender.DisplayName is { } name ? cipher.SealText(name, Context(conversationKey, message.Seq, "sender_name")) : DBNull.Value,
        });
        command.Parameters.AddWithValue("body", cipher.SealText(message.Text, Context(conversationKey, message.Seq, "body")));
        command.Parameters.AddWithValue("sent_at", message.SentAt.UtcDateTime);
        try
        {
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The grain is the only writer of its conversation; a clash means two activations wrote.
            throw new InvalidOperationException($"Sequence {message.Seq} or client message id already exists in {conversationKey}.", ex);
        }
    }

    public async Task<IReadOnlyList<ChatMessage>> ReadAll(string conversationKey)
    {
        var (tenant, conversation) = GrainKeys.Split(conversationKey);
        await using var command = dataSource.CreateCommand(ReadAllSql);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("conversation", conversation);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        var messages = new List<ChatMessage>();
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            var seq = reader.GetInt64(0);
            var name = reader.IsDBNull(4) ? null : Open(reader.GetFieldValue<byte[]>(4), conversationKey, seq, "sender_name");
            var sender = new Participant(ParseKind(reader.GetString(2)), reader.GetString(3), name);
            messages.Add(new ChatMessage(
                seq,
                reader.GetString(1),
                sender,
                Open(reader.GetFieldValue<byte[]>(5), conversationKey, seq, "body"),
                new DateTimeOffset(reader.GetFieldValue<DateTime>(6), TimeSpan.Zero)));
        }
        return messages;
    }

    public async Task Delete(string conversationKey)
    {
        var (tenant, conversation) = GrainKeys.Split(conversationKey);
        await using var command = dataSource.CreateCommand(DeleteSql);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("conversation", conversation);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    /// <summary>The associated data a column value is sealed with: its column, conversation and sequence number.</summary>
    public static string Context(string conversationKey, long seq, string column) => $"conversation_messages.{column}/{conversationKey}/{seq}";

    /// <summary>Rows written before encryption was turned on are plain UTF-8; they are read as they are.</summary>
    private string Open(byte[] value, string conversationKey, long seq, string column) =>
        PersonalDataCipher.IsSealed(value) ? cipher.OpenText(value, Context(conversationKey, seq, column)) : Encoding.UTF8.GetString(value);

    private static string KindName(ParticipantKind kind) => kind switch
    {
        ParticipantKind.Visitor => "visitor",
        ParticipantKind.Agent => "agent",
        ParticipantKind.System => "system",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static ParticipantKind ParseKind(string kind) => kind switch
    {
        "visitor" => ParticipantKind.Visitor,
        "agent" => ParticipantKind.Agent,
        "system" => ParticipantKind.System,
        _ => throw new InvalidOperationException($"Unknown sender_kind '{kind}' in conversation_messages."),
    };
}
