namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// Where ChatCluster keeps its system of record (C2): Orleans membership, grain state, reminders
/// and the conversation message log, all in one PostgreSQL database.
/// Bound from the configuration section <c>ChatCluster:Postgres</c>
/// (environment variables <c>ChatCluster__Postgres__ConnectionString</c> and so on).
/// </summary>
public sealed class PostgresOptions
{
    public const string SectionName = "ChatCluster:Postgres";

    /// <summary>The full configuration key of <see cref="ConnectionString"/>, quoted in error messages.</summary>
    public const string ConnectionStringKey = SectionName + ":ConnectionString";

    /// <summary>The ADO.NET invariant the Orleans AdoNet providers need for PostgreSQL.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Database=chatcluster;Username=chat;Password=…</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Apply pending schema migrations when the silo starts. Off by default: in production the
    /// schema is migrated by an explicit <c>migrate</c> step, and a silo only checks it.
    /// </summary>
    public bool MigrateOnStart { get; set; }
}
