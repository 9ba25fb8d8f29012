using Npgsql;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// Splits one silo's connection cap (<see cref="PostgresOptions.MaxConnections"/>) over its Npgsql pools, so the pools
/// together never hold more than the cap (issue 12). Npgsql keeps one pool per connection string (and one per data
/// source), so each user of the database gets a connection string of its own whose <c>Maximum Pool Size</c> is its
/// share; <c>Application Name</c> says which pool a session belongs to in <c>pg_stat_activity</c>.
/// <list type="bullet">
/// <item><see cref="Orleans"/>: membership, grain state (<c>chat</c>, <c>PubSubStore</c>) and reminders, one pool;</item>
/// <item><see cref="MessageLog"/>: the message log's writer, its reads at activation and its deletes, and the stream
/// bookkeeping's purges;</item>
/// <item><see cref="Maintenance"/>: one connection for the schema check at start and the health probe.</item>
/// </list>
/// </summary>
public sealed class PostgresConnectionBudget
{
    public const int DefaultMaxConnections = 20;
    public const int MinimumMaxConnections = 4;
    public const int MaximumMaxConnections = 1000;
    public const int MaintenanceConnections = 1;
    public const string DefaultApplicationName = "chatcluster-silo";

    public PostgresConnectionBudget(string connectionString, int maxConnections)
    {
        if (maxConnections is < MinimumMaxConnections or > MaximumMaxConnections)
            throw new ArgumentOutOfRangeException(nameof(maxConnections), maxConnections, $"{PostgresOptions.MaxConnectionsKey} is {MinimumMaxConnections} to {MaximumMaxConnections}.");
        MaxConnections = maxConnections;
        MessageLogConnections = Math.Max(2, maxConnections / 5);
        OrleansConnections = maxConnections - MessageLogConnections - MaintenanceConnections;
        var baseName = new NpgsqlConnectionStringBuilder(connectionString).ApplicationName is { Length: > 0 } name ? name : DefaultApplicationName;
        ApplicationNamePrefix = baseName + "/";
        Orleans = Pool(connectionString, "orleans", OrleansConnections);
        MessageLog = Pool(connectionString, "log", MessageLogConnections);
        Maintenance = Pool(connectionString, "maintenance", MaintenanceConnections);
    }

    public int MaxConnections { get; }
    public int OrleansConnections { get; }
    public int MessageLogConnections { get; }

    /// <summary>What every session of this silo's pools has at the start of its <c>application_name</c>.</summary>
    public string ApplicationNamePrefix { get; }

    public string Orleans { get; }
    public string MessageLog { get; }
    public string Maintenance { get; }

    public static PostgresConnectionBudget For(PostgresOptions options) => new(options.ConnectionString!, options.MaxConnections);

    private string Pool(string connectionString, string use, int size)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // Without pooling every command opens a connection of its own and nothing caps the total.
            Pooling = true,
            MaxPoolSize = size,
            ApplicationName = ApplicationNamePrefix + use,
        };
        builder.MinPoolSize = Math.Min(builder.MinPoolSize, size);
        return builder.ConnectionString;
    }
}
