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
            // No pooling: a health probe must see the server as it is now, not a pooled connection.
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = Math.Max(1, (int)timeout.TotalSeconds) };
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
