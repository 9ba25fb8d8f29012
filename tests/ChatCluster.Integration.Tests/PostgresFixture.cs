using Npgsql;
using Xunit;

namespace ChatCluster.Integration.Tests;

/// <summary>
/// A real PostgreSQL server on loopback. Each fixture works in databases of its own, created fresh
/// with unique names and dropped when the fixture is disposed, so test classes never see each
/// other's rows. Point it elsewhere with CHATCLUSTER_TEST_POSTGRES (a connection string to a
/// maintenance database, as a role allowed to create databases).
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string EnvironmentVariable = "CHATCLUSTER_TEST_POSTGRES";

    private const string DefaultServerConnectionString =
        "Host=127.0.0.1;Port=5432;Username=chatcluster;Password=chatcluster;Database=postgres";

    private readonly List<string> _databases = [];

    public string ServerConnectionString { get; } =
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured
            ? configured
            : DefaultServerConnectionString;

    /// <summary>The fixture's own empty database.</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync() => ConnectionString = await CreateDatabaseAsync();

    /// <summary>Another fresh, empty database for a test that needs one to itself.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"chatcluster_test_{Guid.NewGuid():N}"[..40];
        await using (var connection = await OpenServerAsync())
        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        lock (_databases)
        {
            _databases.Add(name);
        }

        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name, Pooling = false }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        await using var connection = await OpenServerAsync();
        foreach (var name in _databases)
        {
            // FORCE ends sessions a silo under test may still hold.
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private async Task<NpgsqlConnection> OpenServerAsync()
    {
        var connection = new NpgsqlConnection(ServerConnectionString);
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch (Exception ex)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException(
                $"These tests need a PostgreSQL server: set {EnvironmentVariable} or start one at " +
                $"{new NpgsqlConnectionStringBuilder(ServerConnectionString) { Password = null }}. {ex.Message}", ex);
        }
    }
}

/// <summary>Small SQL helpers for assertions.</summary>
public static class Sql
{
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var result = await command.ExecuteScalarAsync();
        return (T)Convert.ChangeType(result!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
