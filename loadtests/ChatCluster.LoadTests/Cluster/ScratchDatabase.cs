using Npgsql;

namespace ChatCluster.LoadTests.Cluster;

/// <summary>
/// A fresh, empty database on a local PostgreSQL server for one run (<c>chatcluster_lt_&lt;run&gt;</c>), dropped at the
/// end (FORCE ends the sessions silos may still hold). The silo migrates it at start.
/// </summary>
public sealed class ScratchDatabase : IAsyncDisposable
{
    /// <summary>The shared local server of the reference machine (superuser role chatcluster).</summary>
    public const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=chatcluster;Password=chatcluster;Database=postgres";

    private readonly string _server;

    private ScratchDatabase(string server, string name, string connectionString)
    {
        _server = server;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }
    public string ConnectionString { get; }

    public static async Task<ScratchDatabase> CreateAsync(string serverConnectionString, string runId, CancellationToken cancellationToken)
    {
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString);
        // Load runs stay on this machine: the database server too.
        Network.LoopbackGuard.EnsureLoopback("--postgres " + server.Host, await Network.LoopbackGuard.ResolveAsync(server.Host ?? "", cancellationToken));
        var name = $"chatcluster_lt_{runId}_{Guid.NewGuid():N}"[..40].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(serverConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        return new ScratchDatabase(serverConnectionString, name, new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString);
    }

    /// <summary>Connections to this database now, per application name (pg_stat_activity): what the silos hold.</summary>
    public async Task<long> ConnectionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync(cancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE datname = @d", connection);
        count.Parameters.AddWithValue("d", Name);
        return (long)(await count.ExecuteScalarAsync(cancellationToken) ?? 0L);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(_server);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException) { /* best effort: the name says what it was for */ }
    }
}
