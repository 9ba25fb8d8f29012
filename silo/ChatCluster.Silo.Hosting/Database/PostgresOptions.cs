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

    /// <summary>The full configuration key of <see cref="MaxConnections"/>.</summary>
    public const string MaxConnectionsKey = SectionName + ":MaxConnections";

    /// <summary>The ADO.NET invariant the Orleans AdoNet providers need for PostgreSQL.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Database=chatcluster;Username=chat;Password=…</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Apply pending schema migrations when the silo starts. Off by default: in production the
    /// schema is migrated by an explicit <c>migrate</c> step, and a silo only checks it.
    /// </summary>
    public bool MigrateOnStart { get; set; }

    /// <summary>
    /// The most PostgreSQL connections one silo holds, all its pools together (<see cref="PostgresConnectionBudget"/>):
    /// the default lets four silos share a server's default <c>max_connections = 100</c> with room for operators.
    /// </summary>
    public int MaxConnections { get; set; } = PostgresConnectionBudget.DefaultMaxConnections;

    /// <summary>How the message log's one writer batches appends (<c>ChatCluster:Postgres:MessageLog</c>).</summary>
    public MessageLogOptions MessageLog { get; set; } = new();

    /// <summary>What is wrong with these settings, each naming its key; empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        if (MaxConnections is < PostgresConnectionBudget.MinimumMaxConnections or > PostgresConnectionBudget.MaximumMaxConnections)
            yield return $"{MaxConnectionsKey} = {MaxConnections}: a silo needs {PostgresConnectionBudget.MinimumMaxConnections} to " +
                         $"{PostgresConnectionBudget.MaximumMaxConnections} connections (docs/postgres.md, \"Connections\").";
        foreach (var problem in MessageLog.Problems(SectionName + ":MessageLog")) yield return problem;
    }
}

/// <summary>
/// Group commit of the message log (docs/architecture.md, "Where a message becomes durable"): every append of a silo
/// joins one queue; one writer takes what is queued (waiting at most <see cref="FlushWindow"/> for company, at most
/// <see cref="MaxBatchRows"/> rows) and commits it in one statement. The queue is bounded: an append that cannot get a
/// place within <see cref="AppendTimeout"/>, or whose batch has not committed by then, fails with the retryable
/// <c>unavailable</c> error instead of waiting without end.
/// </summary>
public sealed class MessageLogOptions
{
    /// <summary>How long the writer waits after the first queued row for more to join its batch; zero takes only what is queued.</summary>
    public TimeSpan FlushWindow { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The most rows one batch (one INSERT, one transaction) carries.</summary>
    public int MaxBatchRows { get; set; } = 256;

    /// <summary>The most appends waiting for the writer; past it, appends wait for room, then are refused.</summary>
    public int QueueCapacity { get; set; } = 4096;

    /// <summary>The longest an append waits, for room in the queue and then for its commit, before it fails as unavailable.</summary>
    public TimeSpan AppendTimeout { get; set; } = TimeSpan.FromSeconds(3);

    public IEnumerable<string> Problems(string section)
    {
        if (FlushWindow < TimeSpan.Zero || FlushWindow > TimeSpan.FromSeconds(1))
            yield return $"{section}:FlushWindow = {FlushWindow}: between 00:00:00 and 00:00:01 (every append waits for it).";
        if (MaxBatchRows is < 1 or > 10_000)
            yield return $"{section}:MaxBatchRows = {MaxBatchRows}: between 1 and 10000.";
        if (QueueCapacity < 1 || QueueCapacity > 1_000_000)
            yield return $"{section}:QueueCapacity = {QueueCapacity}: between 1 and 1000000.";
        if (AppendTimeout <= TimeSpan.Zero || AppendTimeout > TimeSpan.FromSeconds(25))
            yield return $"{section}:AppendTimeout = {AppendTimeout}: more than zero and at most 00:00:25 (under Orleans' 30 s call timeout).";
    }
}
