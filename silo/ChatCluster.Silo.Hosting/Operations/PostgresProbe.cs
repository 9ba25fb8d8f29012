using Npgsql;

namespace ChatCluster.Silo.Hosting.Operations;

/// <summary>One <c>SELECT 1</c> against PostgreSQL within a timeout: the database part of <c>/health</c>.</summary>
public static class PostgresProbe
{
    public const string Reachable = "reachable";
    public const string Unreachable = "unreachable";
    public const string NotConfigured = "not configured";

    public static async Task<string> Check(string? connectionString, TimeSpan timeout)
    {
        if (string.IsNullOrWhiteSpace(connectionString)) return NotConfigured;
        try
        {
            using var cancel = new CancellationTokenSource(timeout);
            // A small pool of its own (issue 15): an anonymous /health must not cost a new server connection each
            // time. The SELECT still travels to the server, so a dead server is still seen (a broken pooled
            // connection fails the query and is dropped from the pool).
            var builder = new NpgsqlConnectionStringBuilder(connectionString)
            {
                Pooling = true,
                MinPoolSize = 0,
                MaxPoolSize = 2,
                ApplicationName = "chatcluster-health",
                Timeout = Math.Max(1, (int)timeout.TotalSeconds),
            };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancel.Token);
            await using var ping = new NpgsqlCommand("SELECT 1", connection);
            await ping.ExecuteScalarAsync(cancel.Token);
            return Reachable;
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or ArgumentException)
        {
            return Unreachable;
        }
    }
}
