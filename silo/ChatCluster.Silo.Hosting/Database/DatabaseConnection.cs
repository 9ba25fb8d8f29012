using System.Net.Sockets;
using Npgsql;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// Opens connections for the migrator and turns every way of failing to connect into one
/// <see cref="DatabaseConnectionException"/> that tells an operator which setting to fix.
/// </summary>
internal static class DatabaseConnection
{
    public static async Task<NpgsqlConnection> OpenAsync(string? connectionString, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new DatabaseConnectionException(
                $"No PostgreSQL connection string is configured: set `{PostgresOptions.ConnectionStringKey}` " +
                "(environment variable ChatCluster__Postgres__ConnectionString), " +
                "e.g. Host=127.0.0.1;Port=5432;Database=chatcluster;Username=chatcluster;Password=….");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            // The parser's message may quote the string, password included, so it is not repeated.
            throw new DatabaseConnectionException(
                $"The value of `{PostgresOptions.ConnectionStringKey}` is not a valid Npgsql connection string " +
                $"({ex.GetType().Name}). Expected key=value pairs such as Host=…;Database=…;Username=…;Password=….");
        }

        var target = Describe(builder);
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException or ArgumentException
                                   && !cancellationToken.IsCancellationRequested)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new DatabaseConnectionException(
                $"Could not connect to PostgreSQL at {target} using `{PostgresOptions.ConnectionStringKey}`: " +
                $"{Reason(ex)}",
                ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Where a connection string points, without its secrets.</summary>
    public static string Describe(string? connectionString)
    {
        try
        {
            return Describe(new NpgsqlConnectionStringBuilder(connectionString));
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            return "(unparsable connection string)";
        }
    }

    private static string Describe(NpgsqlConnectionStringBuilder builder) =>
        $"Host={builder.Host ?? "(none)"};Port={builder.Port};Database={builder.Database ?? "(default)"};Username={builder.Username ?? "(none)"}";

    private static string Reason(Exception ex) => ex switch
    {
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } pg =>
            $"the server rejected the credentials ({pg.MessageText}).",
        PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } pg =>
            $"the database does not exist ({pg.MessageText}); create it first.",
        PostgresException pg => $"{pg.MessageText} (SQLSTATE {pg.SqlState}).",
        NpgsqlException { InnerException: SocketException socket } =>
            $"the server is unreachable ({socket.SocketErrorCode}: {socket.Message}).",
        NpgsqlException { InnerException: TimeoutException } =>
            "the connection attempt timed out; is the server running and reachable?",
        _ => ex.Message,
    };
}
