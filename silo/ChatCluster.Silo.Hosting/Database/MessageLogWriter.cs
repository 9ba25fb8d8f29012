using System.Threading.Channels;
using ChatCluster.Grains.Conversations;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>One row of <c>conversation_messages</c>, its personal data already sealed.</summary>
public sealed record MessageRow(
    string TenantId, string ConversationId, long Seq, string ClientMessageId, string SenderKind, string SenderId,
    byte[]? SenderName, byte[] Body, DateTime SentAtUtc);

/// <summary>
/// Group commit for the message log (issue 12): the appends of every conversation of the silo wait in one bounded
/// queue, and one writer commits what is waiting as one multi-row <c>INSERT</c> (one statement, one transaction, one
/// round trip). An append returns only after its batch committed, so the ack stays a durability promise; it fails with
/// the retryable <c>unavailable</c> error when the queue has no room, or its commit is not confirmed, within
/// <see cref="MessageLogOptions.AppendTimeout"/>. The insert is idempotent: a row already stored with the same sequence
/// number and client message id (a commit whose answer was lost, then the client's retry) counts as written.
/// </summary>
public sealed partial class MessageLogWriter : IAsyncDisposable
{
    private const string InsertSql = """
        INSERT INTO conversation_messages
            (tenant_id, conversation_id, seq, client_message_id, sender_kind, sender_id, sender_name, body, sent_at)
        SELECT * FROM unnest(@tenant, @conversation, @seq, @client_message_id, @sender_kind, @sender_id, @sender_name, @body, @sent_at)
        ON CONFLICT DO NOTHING
        RETURNING tenant_id, conversation_id, seq
        """;

    private const string StoredSql = """
        SELECT m.tenant_id, m.conversation_id, m.seq, m.client_message_id
        FROM conversation_messages m
        JOIN unnest(@tenant, @conversation, @client_message_id) AS k(tenant_id, conversation_id, client_message_id)
          ON m.tenant_id = k.tenant_id AND m.conversation_id = k.conversation_id AND m.client_message_id = k.client_message_id
        """;

    private readonly NpgsqlDataSource dataSource;
    private readonly MessageLogOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Channel<PendingAppend> queue;
    private readonly Task writing;

    public MessageLogWriter(NpgsqlDataSource dataSource, MessageLogOptions options, TimeProvider time, ILogger logger)
    {
        this.dataSource = dataSource;
        this.options = options;
        this.time = time;
        this.logger = logger;
        queue = Channel.CreateBounded<PendingAppend>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        writing = Task.Run(Write);
    }

    /// <summary>Appends waiting for the writer now; never more than <see cref="MessageLogOptions.QueueCapacity"/>.</summary>
    public int Queued => queue.Reader.Count;

    /// <summary>Batches committed so far, and the rows they carried (for tests and the round-trip count in the docs).</summary>
    public long BatchesCommitted => Interlocked.Read(ref batches);
    public long RowsCommitted => Interlocked.Read(ref rows);

    private long batches;
    private long rows;

    public async Task Append(MessageRow row)
    {
        var pending = new PendingAppend(row);
        using var deadline = new CancellationTokenSource(options.AppendTimeout, time);
        try
        {
            await queue.Writer.WriteAsync(pending, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw ChatRuleException.Unavailable("The message log is behind; the message was not stored, retry.", DatabaseFaults.RetryAfter);
        }
        catch (ChannelClosedException)
        {
            throw ChatRuleException.Unavailable("The silo is shutting down; the message was not stored, retry.", DatabaseFaults.RetryAfter);
        }
        try
        {
            await pending.Written.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Still queued: it is never written. Already in a batch: it may commit yet, and a retry is deduplicated.
            var late = ChatRuleException.Unavailable("The message log did not confirm the message in time; retry.", DatabaseFaults.RetryAfter);
            if (pending.Abandon()) throw late;
            throw new ConversationLogUncertainException(late);
        }
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await writing.ConfigureAwait(false);
    }

    private async Task Write()
    {
        var batch = new List<PendingAppend>(options.MaxBatchRows);
        while (await queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            Take(batch);
            if (batch.Count > 0 && batch.Count < options.MaxBatchRows && options.FlushWindow > TimeSpan.Zero)
            {
                // A short wait lets concurrent appends share the commit when the load is light; under load the queue
                // refills while a batch commits, so batches grow by themselves.
                await Task.Delay(options.FlushWindow, time).ConfigureAwait(false);
                Take(batch);
            }
            if (batch.Count == 0) continue;
            await Commit(batch).ConfigureAwait(false);
        }
    }

    private void Take(List<PendingAppend> batch)
    {
        while (batch.Count < options.MaxBatchRows && queue.Reader.TryRead(out var pending))
        {
            if (pending.Claim()) batch.Add(pending);
        }
    }

    private async Task Commit(List<PendingAppend> batch)
    {
        var sent = false;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false);
            sent = true;
            var inserted = await Insert(connection, batch).ConfigureAwait(false);
            var clashes = batch.Where(p => !inserted.Contains(Key(p.Row))).ToList();
            var stored = clashes.Count == 0 ? [] : await Stored(connection, clashes).ConfigureAwait(false);
            Interlocked.Increment(ref batches);
            Interlocked.Add(ref rows, inserted.Count);
            foreach (var pending in batch)
            {
                if (inserted.Contains(Key(pending.Row)) || stored.Contains((Key(pending.Row), pending.Row.ClientMessageId)))
                {
                    pending.Complete();
                }
                else
                {
                    // Another row holds this sequence number or client message id: the grain's view of its log is stale.
                    LogClash(logger, pending.Row.TenantId, pending.Row.ConversationId, pending.Row.Seq);
                    pending.Fail(new ConversationLogUncertainException(
                        ChatRuleException.Unavailable("The conversation changed meanwhile; retry.", DatabaseFaults.RetryAfter)));
                }
            }
        }
        catch (Exception ex) when (DatabaseFaults.IsDatabaseFault(ex))
        {
            LogBatchFailed(logger, batch.Count, ex.GetType().Name, ex.Message);
            // Failing to connect stored nothing; failing after the INSERT went out leaves its outcome unknown.
            var unavailable = DatabaseFaults.Unavailable("Storing the message failed");
            Exception error = sent ? new ConversationLogUncertainException(unavailable) : unavailable;
            foreach (var pending in batch) pending.Fail(error);
        }
        catch (Exception ex)
        {
            LogBatchBroken(logger, ex, batch.Count);
            foreach (var pending in batch) pending.Fail(ex);
        }
    }

    private static async Task<HashSet<(string, string, long)>> Insert(NpgsqlConnection connection, List<PendingAppend> batch)
    {
        await using var command = new NpgsqlCommand(InsertSql, connection);
        var p = command.Parameters;
        p.Add(Array("tenant", NpgsqlDbType.Text, batch.Select(b => b.Row.TenantId).ToArray()));
        p.Add(Array("conversation", NpgsqlDbType.Text, batch.Select(b => b.Row.ConversationId).ToArray()));
        p.Add(Array("seq", NpgsqlDbType.Bigint, batch.Select(b => b.Row.Seq).ToArray()));
        p.Add(Array("client_message_id", NpgsqlDbType.Text, batch.Select(b => b.Row.ClientMessageId).ToArray()));
        p.Add(Array("sender_kind", NpgsqlDbType.Text, batch.Select(b => b.Row.SenderKind).ToArray()));
        p.Add(Array("sender_id", NpgsqlDbType.Text, batch.Select(b => b.Row.SenderId).ToArray()));
        p.Add(Array("sender_name", NpgsqlDbType.Bytea, batch.Select(b => b.Row.SenderName).ToArray()));
        p.Add(Array("body", NpgsqlDbType.Bytea, batch.Select(b => b.Row.Body).ToArray()));
        p.Add(Array("sent_at", NpgsqlDbType.TimestampTz, batch.Select(b => b.Row.SentAtUtc).ToArray()));
        var inserted = new HashSet<(string, string, long)>();
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false)) inserted.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        return inserted;
    }

    private static async Task<HashSet<((string, string, long), string)>> Stored(NpgsqlConnection connection, List<PendingAppend> clashes)
    {
        await using var command = new NpgsqlCommand(StoredSql, connection);
        command.Parameters.Add(Array("tenant", NpgsqlDbType.Text, clashes.Select(b => b.Row.TenantId).ToArray()));
        command.Parameters.Add(Array("conversation", NpgsqlDbType.Text, clashes.Select(b => b.Row.ConversationId).ToArray()));
        command.Parameters.Add(Array("client_message_id", NpgsqlDbType.Text, clashes.Select(b => b.Row.ClientMessageId).ToArray()));
        var stored = new HashSet<((string, string, long), string)>();
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
            stored.Add(((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)), reader.GetString(3)));
        return stored;
    }

    private static NpgsqlParameter Array<T>(string name, NpgsqlDbType type, T[] values) =>
        new(name, NpgsqlDbType.Array | type) { Value = values };

    private static (string, string, long) Key(MessageRow row) => (row.TenantId, row.ConversationId, row.Seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message log batch of {Rows} rows failed ({Error}: {Reason}); its sends were answered 'unavailable'")]
    private static partial void LogBatchFailed(ILogger logger, int rows, string error, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message log batch of {Rows} rows failed unexpectedly")]
    private static partial void LogBatchBroken(ILogger logger, Exception exception, int rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message log: seq {Seq} of {Tenant}/{Conversation} is taken by another message; the send was answered 'unavailable'")]
    private static partial void LogClash(ILogger logger, string tenant, string conversation, long seq);

    /// <summary>An append and its fate: queued, then claimed by a batch (or abandoned by its caller first), then written or failed.</summary>
    private sealed class PendingAppend(MessageRow row)
    {
        private const int Waiting = 0, Claimed = 1, Abandoned = 2;
        private readonly TaskCompletionSource written = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int stage;

        public MessageRow Row { get; } = row;
        public Task Written => written.Task;

        public bool Claim() => Interlocked.CompareExchange(ref stage, Claimed, Waiting) == Waiting;
        /// <summary>True when the append was still waiting, so it will never be written.</summary>
        public bool Abandon() => Interlocked.CompareExchange(ref stage, Abandoned, Waiting) is Waiting or Abandoned;
        public void Complete() => written.TrySetResult();
        public void Fail(Exception error) => written.TrySetException(error);
    }
}
