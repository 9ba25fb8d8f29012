using System.Collections.Concurrent;
using ChatCluster.Grains.Conversations;
using ChatCluster.Silo.Hosting.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ChatCluster.Integration.Tests.Durable;

/// <summary>The message log's group commit against the real PostgreSQL (issue 12, items 2 and 4).</summary>
public sealed class MessageLogWriterTests : IAsyncLifetime
{
    private readonly PostgresFixture postgres = new();
    private NpgsqlDataSource dataSource = null!;

    public async Task InitializeAsync()
    {
        await postgres.InitializeAsync();
        await new DatabaseMigrator().MigrateAsync(postgres.ConnectionString);
        dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Pooling = true, MaxPoolSize = 4 }.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await dataSource.DisposeAsync();
        await postgres.DisposeAsync();
    }

    [Fact]
    public async Task Appends_from_many_conversations_share_commits_and_every_row_is_stored()
    {
        await using var writer = Writer(new MessageLogOptions { FlushWindow = TimeSpan.FromMilliseconds(20), MaxBatchRows = 64 });

        await Task.WhenAll(Enumerable.Range(1, 40).SelectMany(c => Enumerable.Range(1, 5).Select(s => (c, s)))
            .GroupBy(x => x.c)
            .Select(async g =>
            {
                // One conversation appends in order, as its grain does; the conversations run side by side.
                foreach (var (c, s) in g) await writer.Append(Row($"c{c}", s, $"m{s}"));
            }));

        Assert.Equal(200, await Count());
        Assert.Equal(200, writer.RowsCommitted);
        Assert.True(writer.BatchesCommitted < 100, $"200 appends took {writer.BatchesCommitted} commits; group commit should need far fewer.");
    }

    [Fact]
    public async Task A_retried_append_of_a_stored_message_succeeds_once_and_a_different_message_on_its_seq_is_refused_as_unavailable()
    {
        await using var writer = Writer(new MessageLogOptions());
        await writer.Append(Row("c1", 1, "m1"));

        await writer.Append(Row("c1", 1, "m1")); // the commit's answer was lost; the client sent it again
        // Another message on a taken seq: the grain's view is stale, so it is told to reload before it retries.
        var clash = await Assert.ThrowsAsync<ConversationLogUncertainException>(() => writer.Append(Row("c1", 1, "other")));

        Assert.Equal(ErrorCodes.Unavailable, clash.Unavailable.Code);
        Assert.NotNull(clash.Unavailable.RetryAfterMs);
        Assert.Equal(1, await Count());
    }

    [Fact]
    public async Task A_writer_that_falls_behind_keeps_its_queue_bounded_and_refuses_the_excess_with_the_retryable_error()
    {
        const int capacity = 8;
        var options = new MessageLogOptions { QueueCapacity = capacity, MaxBatchRows = 4, FlushWindow = TimeSpan.Zero, AppendTimeout = TimeSpan.FromSeconds(1) };
        await using var writer = Writer(options);

        // Another session holds the table: the writer's INSERT waits, as behind a saturated database.
        await using var blocker = await dataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE conversation_messages IN EXCLUSIVE MODE", blocker, transaction))
            await lockTable.ExecuteNonQueryAsync();

        var outcomes = new ConcurrentBag<string>();
        var sampling = new CancellationTokenSource();
        var maxQueued = 0;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                maxQueued = Math.Max(maxQueued, writer.Queued);
                await Task.Delay(5);
            }
        });
        var started = DateTime.UtcNow;
        await Task.WhenAll(Enumerable.Range(1, 200).Select(async i =>
        {
            try
            {
                await writer.Append(Row($"c{i}", 1, "m1"));
                outcomes.Add("stored");
            }
            catch (ChatRuleException ex) when (ex.Code == ErrorCodes.Unavailable && ex.RetryAfterMs > 0)
            {
                outcomes.Add("unavailable");
            }
            catch (ConversationLogUncertainException ex) when (ex.Unavailable.Code == ErrorCodes.Unavailable)
            {
                outcomes.Add("uncertain"); // in the batch stuck behind the lock: it may commit later
            }
        }));
        var elapsed = DateTime.UtcNow - started;
        await sampling.CancelAsync();
        await sampler;

        Assert.Equal(200, outcomes.Count);
        Assert.DoesNotContain("stored", outcomes);
        Assert.True(outcomes.Count(o => o == "uncertain") <= options.MaxBatchRows, "only the rows of the one batch in flight are uncertain");
        Assert.True(maxQueued <= capacity, $"the queue held {maxQueued} appends, more than its capacity {capacity}");
        Assert.True(elapsed < TimeSpan.FromSeconds(20), $"refusing took {elapsed}: appends must fail fast, not pile up");

        await transaction.RollbackAsync();
        // The batch that was stuck behind the lock commits now; its callers were told to retry, and a retry is deduplicated.
        await writer.Append(Row("after", 1, "m1"));
        Assert.Equal(0, writer.Queued);
        Assert.True(await Count() <= 1 + options.MaxBatchRows);
    }

    private MessageLogWriter Writer(MessageLogOptions options) => new(dataSource, options, TimeProvider.System, NullLogger.Instance);

    private static MessageRow Row(string conversation, long seq, string clientMessageId) =>
        new("t1", conversation, seq, clientMessageId, "visitor", "v1", null, [1, 2, 3], DateTime.UtcNow);

    private Task<long> Count() => Sql.ScalarAsync<long>(postgres.ConnectionString, "SELECT count(*) FROM conversation_messages");
}
