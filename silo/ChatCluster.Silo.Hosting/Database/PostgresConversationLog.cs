using System.Text;
using ChatCluster.Conversations;
using ChatCluster.Grains.Conversations;
using ChatCluster.Silo.Hosting.Encryption;
using Npgsql;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// The message log in PostgreSQL (<c>conversation_messages</c>, migration 0005). Appends go through the silo's one
/// <see cref="MessageLogWriter"/>, which commits the appends of all conversations together (group commit), so a
/// message costs a share of one round trip however long its conversation is. The grain acknowledges a message only
/// after <see cref="Append"/> returns, which makes the ack a promise that survives the death of any process (issue 3,
/// "message durability"). <c>sender_name</c> and <c>body</c> are sealed with AES-256-GCM (S1), bound to their
/// conversation, sequence number and column; sealing happens here, on the caller's thread, not in the writer.
/// A database fault comes out as the retryable <c>unavailable</c> error (issue 12), never as an Npgsql exception.
/// </summary>
public sealed class PostgresConversationLog : IConversationLog, IAsyncDisposable
{
    private readonly NpgsqlDataSource dataSource;
    private readonly MessageLogWriter writer;
    private readonly PersonalDataCipher cipher;
    private readonly bool owned;

    /// <summary>The silo's log: the data source and the writer belong to the silo's services.</summary>
    public PostgresConversationLog(NpgsqlDataSource dataSource, MessageLogWriter writer, PersonalDataCipher cipher)
    {
        this.dataSource = dataSource;
        this.writer = writer;
        this.cipher = cipher;
    }

    /// <summary>A log of its own (tools, tests), with a writer on default settings; disposing it disposes both.</summary>
    public PostgresConversationLog(NpgsqlDataSource dataSource, PersonalDataCipher cipher)
        : this(dataSource, new MessageLogWriter(dataSource, new MessageLogOptions(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance), cipher)
    {
        owned = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!owned) return;
        await writer.DisposeAsync().ConfigureAwait(false);
        await dataSource.DisposeAsync().ConfigureAwait(false);
    }

    private const string ReadAllSql = """
        SELECT seq, client_message_id, sender_kind, sender_id, sender_name, body, sent_at
        FROM conversation_messages
        WHERE tenant_id = @tenant AND conversation_id = @conversation
        ORDER BY seq
        """;

    private const string DeleteSql = "DELETE FROM conversation_messages WHERE tenant_id = @tenant AND conversation_id = @conversation";

    public Task Append(string conversationKey, ChatMessage message)
    {
        var (tenant, conversation) = GrainKeys.Split(conversationKey);
        return writer.Append(new MessageRow(
            tenant,
            conversation,
            message.Seq,
            message.ClientMessageId,
            KindName(message.Sender.Kind),
            message.Sender.Id,
            message.Sender.DisplayName is { } name ? cipher.SealText(name, Context(conversationKey, message.Seq, "sender_name")) : null,
            cipher.SealText(message.Text, Context(conversationKey, message.Seq, "body")),
            message.SentAt.UtcDateTime));
    }

    public async Task<IReadOnlyList<ChatMessage>> ReadAll(string conversationKey)
    {
        try
        {
            return await Read(conversationKey).ConfigureAwait(false);
        }
        catch (Exception ex) when (DatabaseFaults.IsDatabaseFault(ex))
        {
            // Read while a conversation activates, where no grain call filter runs: translated here.
            throw DatabaseFaults.Unavailable("Reading the conversation failed");
        }
    }

    private async Task<IReadOnlyList<ChatMessage>> Read(string conversationKey)
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
