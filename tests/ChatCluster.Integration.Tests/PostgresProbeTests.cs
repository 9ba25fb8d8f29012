using ChatCluster.Silo.Hosting.Operations;
using Npgsql;
using Xunit;

namespace ChatCluster.Integration.Tests;

/// <summary>Issue 15 item 4: the anonymous <c>/health</c> probes PostgreSQL over a small pool, not a fresh connection per call.</summary>
public sealed class PostgresProbeTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Repeated_probes_reuse_at_most_two_pooled_connections()
    {
        for (var i = 0; i < 20; i++)
            Assert.Equal(PostgresProbe.Reachable, await PostgresProbe.Check(postgres.ConnectionString, TimeSpan.FromSeconds(5)));

        var database = new NpgsqlConnectionStringBuilder(postgres.ConnectionString).Database;
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = @db AND application_name = 'chatcluster-health'", connection);
        count.Parameters.AddWithValue("db", database!);
        // Pooled: the probes' connection stays open for the next one (unpooled, none would be left).
        Assert.InRange((long)(await count.ExecuteScalarAsync())!, 1, 2);
        NpgsqlConnection.ClearAllPools();
    }

    [Fact]
    public async Task An_unreachable_server_is_reported_as_such_without_the_error()
    {
        var answer = await PostgresProbe.Check("Host=127.0.0.1;Port=1;Username=nobody;Password=secret", TimeSpan.FromSeconds(2));
        Assert.Equal(PostgresProbe.Unreachable, answer);
    }
}
