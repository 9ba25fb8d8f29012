using ChatCluster.Integration.Tests.ClusterMode;
using ChatCluster.Silo.Hosting;
using ChatCluster.Silo.Hosting.Database;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChatCluster.Integration.Tests.Durable;

/// <summary>One silo never holds more PostgreSQL connections than <c>ChatCluster:Postgres:MaxConnections</c> (issue 12, item 1).</summary>
public sealed class ConnectionBudgetTests : IAsyncLifetime
{
    private readonly PostgresFixture postgres = new();

    public async Task InitializeAsync()
    {
        await postgres.InitializeAsync();
        await new DatabaseMigrator().MigrateAsync(postgres.ConnectionString);
    }

    public Task DisposeAsync() => postgres.DisposeAsync();

    [Theory]
    [InlineData(4)]
    [InlineData(20)]
    [InlineData(97)]
    public void The_pools_of_a_silo_add_up_to_its_cap_and_each_is_pooled_and_named(int cap)
    {
        var budget = new PostgresConnectionBudget("Host=db;Database=chat;Username=u;Password=p;Pooling=false;Maximum Pool Size=100", cap);

        var pools = new[] { budget.Orleans, budget.MessageLog, budget.Maintenance }.Select(s => new NpgsqlConnectionStringBuilder(s)).ToList();
        Assert.Equal(cap, pools.Sum(p => p.MaxPoolSize));
        Assert.All(pools, p => Assert.True(p.Pooling && p.MaxPoolSize >= 1));
        Assert.Equal(["chatcluster-silo/orleans", "chatcluster-silo/log", "chatcluster-silo/maintenance"], pools.Select(p => p.ApplicationName));
        Assert.Equal(pools.Count, pools.Select(p => p.ConnectionString).Distinct().Count()); // one Npgsql pool each
    }

    [Theory]
    [InlineData("ChatCluster:Postgres:MaxConnections", "3")]
    [InlineData("ChatCluster:Postgres:MaxConnections", "100000")]
    [InlineData("ChatCluster:Postgres:MaxConnections", "many")]
    [InlineData("ChatCluster:Postgres:MessageLog:FlushWindow", "00:00:05")]
    [InlineData("ChatCluster:Postgres:MessageLog:FlushWindow", "-00:00:01")]
    [InlineData("ChatCluster:Postgres:MessageLog:MaxBatchRows", "0")]
    [InlineData("ChatCluster:Postgres:MessageLog:QueueCapacity", "0")]
    [InlineData("ChatCluster:Postgres:MessageLog:AppendTimeout", "00:00:00")]
    [InlineData("ChatCluster:Postgres:MessageLog:AppendTimeout", "00:01:00")]
    public void A_bad_limit_stops_the_silo_at_start_naming_its_key(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [PostgresOptions.ConnectionStringKey] = "Host=127.0.0.1;Database=x;Username=u;Password=p",
            [key] = value,
        }).Build();

        var ex = Assert.Throws<OptionsValidationException>(configuration.ReadPostgresOptions);

        Assert.Contains(key.Split(':')[^1], ex.Message);
    }

    [Fact]
    public async Task A_silo_under_concurrent_chat_load_never_holds_more_connections_than_its_cap()
    {
        const int cap = 6;
        await using var cluster = await DurableCluster.Start(postgres.ConnectionString, new Dictionary<string, string?>
        {
            [PostgresOptions.MaxConnectionsKey] = cap.ToString(),
        });

        var observed = new List<long>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                observed.Add(await DurableCluster.Sessions(postgres.ConnectionString, cluster.SiloApplicationName));
                await Task.Delay(10);
            }
        });

        // 24 visitors at once, each starting a conversation (grain state, reminders) and sending 8 messages (the log);
        // every other one gave an email and closes, so its transcript goes to the outbox (mail_outbox) as well.
        await Task.WhenAll(Enumerable.Range(1, 24).Select(async v =>
        {
            var (visitor, conversationId) = await cluster.Visitor(v % 2 == 0 ? $"visitor{v}@example.com" : null);
            await using (visitor)
            {
                for (var m = 1; m <= 8; m++)
                    await DurableCluster.SendUntilAcknowledged(visitor, conversationId, $"m-{m}", $"message {m} of visitor {v}", TimeSpan.FromSeconds(60));
                if (v % 2 == 0)
                {
                    await visitor.Send(new { type = "close", id = "bye", conversationId });
                    await visitor.Next("conversation");
                }
            }
        }));
        await sampling.CancelAsync();
        await sampler;

        Assert.Equal(24 * 8, await Sql.ScalarAsync<long>(postgres.ConnectionString, "SELECT count(*) FROM conversation_messages"));
        for (var i = 0; i < 100 && await Sql.ScalarAsync<long>(postgres.ConnectionString, "SELECT count(*) FROM mail_outbox") < 12; i++) await Task.Delay(100);
        Assert.Equal(12, await Sql.ScalarAsync<long>(postgres.ConnectionString, "SELECT count(*) FROM mail_outbox"));
        Assert.True(observed.Count > 10, $"only {observed.Count} samples of pg_stat_activity");
        Assert.True(observed.Max() >= 2, "the sampler saw the silo's sessions at all");
        Assert.True(observed.Max() <= cap, $"the silo held {observed.Max()} connections, more than its cap of {cap}");
    }
}
