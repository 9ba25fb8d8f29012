using ChatCluster.LoadTests.Cli;
using ChatCluster.LoadTests.Cluster;
using ChatCluster.LoadTests.Scenarios;
using Npgsql;

namespace ChatCluster.LoadTests.Tests;

/// <summary>
/// The durable target in one command: the harness creates a scratch database on the local PostgreSQL server
/// (CHATCLUSTER_TEST_POSTGRES, as the integration tests use), starts a Postgres-mode silo and a Client-mode gateway
/// as child processes, chats through them open-loop, and tears everything down again, database included.
/// </summary>
public sealed class PostgresTargetSmokeTests
{
    public static string Server => Environment.GetEnvironmentVariable("CHATCLUSTER_TEST_POSTGRES") is { Length: > 0 } configured ? configured : ScratchDatabase.DefaultServer;

    [Fact]
    public async Task Chat_on_postgres_starts_its_own_silo_and_client_gateway_and_drops_its_database_afterwards()
    {
        var definition = ScenarioCatalog.Find("chat")!;
        var settings = CommandLine.Parse(definition,
            ["--target", "postgres", "--postgres", Server, "--pairs", "2", "--rate", "10", "--duration", "2s", "--progress", "none", "--no-report"]);

        var outcome = await RunCommand.ExecuteAsync(definition, settings, CancellationToken.None);

        var report = outcome.Report;
        Assert.Contains("PostgreSQL", report.Meta.Title);
        Assert.True(report.Iterations.Ok > 0, "no message delivered");
        Assert.Equal(0, report.Iterations.Failed);
        Assert.Contains(report.Target, t => t.Source == "postgres" && t.Value > 0);
        Assert.Equal(0, await DatabasesNamed($"chatcluster_lt_{settings.RunId}%"));
    }

    private static async Task<long> DatabasesNamed(string pattern)
    {
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname LIKE @p", connection);
        count.Parameters.AddWithValue("p", pattern);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
