using ChatCluster.Silo.Hosting.Database;
using Npgsql;

namespace ChatCluster.StorageBench;

/// <summary>A freshly created, migrated database that is dropped again on dispose.</summary>
public sealed class ScratchDatabase : IAsyncDisposable
{
    private readonly string server;
    private readonly string name;

    private ScratchDatabase(string server, string name)
    {
        this.server = server;
        this.name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public string ConnectionString { get; }

    public static async Task<ScratchDatabase> Create(string server)
    {
        var database = new ScratchDatabase(server, $"chatcluster_bench_{Guid.NewGuid():N}"[..36]);
        await database.Execute($"CREATE DATABASE \"{database.name}\"");
        await new DatabaseMigrator().MigrateAsync(database.ConnectionString);
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Execute($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    private async Task Execute(string sql)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
