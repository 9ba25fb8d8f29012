using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// Brings a PostgreSQL database to the schema this build expects (C2), one numbered script at a time.
/// Each script runs once, in its own transaction, and is recorded in <c>chatcluster_schema_version</c>
/// with its SHA-256 checksum. Several processes may migrate at once: a PostgreSQL advisory lock lets
/// one work while the others wait, after which they find nothing left to do.
/// </summary>
public sealed partial class DatabaseMigrator(ILogger<DatabaseMigrator>? logger = null)
{
    /// <summary>
    /// Advisory lock key for schema changes; any constant works as long as every ChatCluster process
    /// uses the same one. These are the ASCII bytes of "ChatSchm".
    /// </summary>
    private const long SchemaLockKey = 0x43686174_5363686D;

    private const int MinimumServerMajorVersion = 15; // UNIQUE NULLS NOT DISTINCT in 0003_persistence.sql

    private readonly ILogger _logger = logger ?? NullLogger<DatabaseMigrator>.Instance;

    /// <summary>The migrations this build applies, in order.</summary>
    public IReadOnlyList<SchemaMigration> Migrations { get; } = SchemaMigration.All;

    /// <summary>
    /// Applies every migration the database does not have yet. Safe to call again (a no-op once
    /// current) and from several processes at once.
    /// </summary>
    /// <exception cref="DatabaseConnectionException">The database cannot be reached with <paramref name="connectionString"/>.</exception>
    /// <exception cref="SchemaMigrationException">An applied migration was edited, the database is ahead of this build, or a script failed (its changes are rolled back).</exception>
    public async Task<MigrationReport> MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = await DatabaseConnection.OpenAsync(connectionString, cancellationToken).ConfigureAwait(false);
        RequireSupportedServer(connection);

        await AcquireSchemaLockAsync(connection, cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, null, CreateVersionTableSql, cancellationToken).ConfigureAwait(false);
            var applied = await ReadAppliedAsync(connection, cancellationToken).ConfigureAwait(false);
            var fromVersion = applied.Count == 0 ? 0 : applied.Keys.Max();

            var problem = FindConflict(applied);
            if (problem is not null)
            {
                throw new SchemaMigrationException(problem);
            }

            var done = new List<AppliedMigration>();
            foreach (var migration in Migrations.Where(m => !applied.ContainsKey(m.Version)))
            {
                done.Add(await ApplyAsync(connection, migration, cancellationToken).ConfigureAwait(false));
            }

            var toVersion = Math.Max(fromVersion, done.Count == 0 ? 0 : done[^1].Version);
            if (done.Count == 0)
            {
                LogAlreadyCurrent(toVersion);
            }

            return new MigrationReport(fromVersion, toVersion, done);
        }
        finally
        {
            await ReleaseSchemaLockAsync(connection).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Compares the database with this build without changing anything; a silo calls this at start
    /// and refuses to run on anything but <see cref="SchemaState.Current"/>.
    /// </summary>
    /// <exception cref="DatabaseConnectionException">The database cannot be reached with <paramref name="connectionString"/>.</exception>
    public async Task<SchemaStatus> CheckAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = await DatabaseConnection.OpenAsync(connectionString, cancellationToken).ConfigureAwait(false);

        var expected = SchemaMigration.LatestVersion;
        var allNames = Migrations.Select(m => m.Name).ToList();

        await using (var exists = new NpgsqlCommand("SELECT to_regclass('chatcluster_schema_version') IS NOT NULL", connection))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                return new SchemaStatus(SchemaState.Missing, 0, expected, allNames,
                    $"database schema is at version 0 (no ChatCluster schema in {connection.Database}), expected {expected}: " +
                    $"run `{SchemaStatus.MigrateCommand}`");
            }
        }

        var applied = await ReadAppliedAsync(connection, cancellationToken).ConfigureAwait(false);
        var current = applied.Count == 0 ? 0 : applied.Keys.Max();
        var pending = Migrations.Where(m => !applied.ContainsKey(m.Version)).Select(m => m.Name).ToList();

        var conflict = FindConflict(applied);
        if (conflict is not null)
        {
            var state = applied.Keys.Any(v => Migrations.All(m => m.Version != v)) ? SchemaState.Ahead : SchemaState.Modified;
            return new SchemaStatus(state, current, expected, pending, conflict);
        }

        if (pending.Count > 0)
        {
            return new SchemaStatus(current == 0 ? SchemaState.Missing : SchemaState.Outdated, current, expected, pending,
                $"database schema is at version {current}, expected {expected}: run `{SchemaStatus.MigrateCommand}` " +
                $"(pending: {string.Join(", ", pending)})");
        }

        return new SchemaStatus(SchemaState.Current, current, expected, pending,
            $"database schema is at version {current}, as expected");
    }

    /// <summary>
    /// What a silo does with its database at start: migrate when <see cref="PostgresOptions.MigrateOnStart"/>
    /// is set, otherwise insist that someone already did.
    /// </summary>
    /// <exception cref="SchemaNotCurrentException">The schema is not current and migrating on start is off.</exception>
    public async Task<SchemaStatus> EnsureSchemaAsync(PostgresOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MigrateOnStart)
        {
            await MigrateAsync(options.ConnectionString!, cancellationToken).ConfigureAwait(false);
        }

        var status = await CheckAsync(options.ConnectionString!, cancellationToken).ConfigureAwait(false);
        return status.EnsureCurrent();
    }

    private const string CreateVersionTableSql = """
        CREATE TABLE IF NOT EXISTS chatcluster_schema_version
        (
            version    integer     NOT NULL,
            name       text        NOT NULL,
            checksum   text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            applied_by text        NOT NULL DEFAULT current_user,
            CONSTRAINT chatcluster_schema_version_pk PRIMARY KEY (version)
        )
        """;

    private async Task<AppliedMigration> ApplyAsync(NpgsqlConnection connection, SchemaMigration migration, CancellationToken cancellationToken)
    {
        LogApplying(migration.Name);
        var stopwatch = Stopwatch.StartNew();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);

            await using var record = new NpgsqlCommand(
                "INSERT INTO chatcluster_schema_version (version, name, checksum) VALUES (@version, @name, @checksum)",
                connection, transaction);
            record.Parameters.AddWithValue("version", migration.Version);
            record.Parameters.AddWithValue("name", migration.Name);
            record.Parameters.AddWithValue("checksum", migration.Checksum);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw new SchemaMigrationException(
                $"Migration {migration.Name} failed and was rolled back: {ex.MessageText} (SQLSTATE {ex.SqlState}" +
                (ex.Position > 0 ? $", at character {ex.Position} of the script" : "") + ").",
                ex);
        }

        LogApplied(migration.Name, stopwatch.ElapsedMilliseconds);
        return new AppliedMigration(migration.Version, migration.Name, stopwatch.Elapsed);
    }

    /// <summary>Describes why the recorded history cannot be reconciled with this build, or null when it can.</summary>
    private string? FindConflict(IReadOnlyDictionary<int, (string Name, string Checksum)> applied)
    {
        foreach (var (version, (name, checksum)) in applied.OrderBy(a => a.Key))
        {
            var known = Migrations.FirstOrDefault(m => m.Version == version);
            if (known is null)
            {
                return $"database schema is at version {applied.Keys.Max()}, newer than this build (expected {SchemaMigration.LatestVersion}): " +
                       $"migration {version} ({name}) is unknown here. Deploy a build that ships it; never migrate a database backwards.";
            }

            if (!string.Equals(known.Checksum, checksum, StringComparison.OrdinalIgnoreCase))
            {
                return $"migration {known.Name} was changed after it was applied: the database recorded checksum {checksum}, " +
                       $"the file in this build has {known.Checksum}. Applied migrations must never be edited; " +
                       "restore the original file and put the change in a new migration.";
            }
        }

        return null;
    }

    private static async Task<Dictionary<int, (string Name, string Checksum)>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version, name, checksum FROM chatcluster_schema_version", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var applied = new Dictionary<int, (string, string)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
        }

        return applied;
    }

    private async Task AcquireSchemaLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
        tryLock.Parameters.AddWithValue("key", SchemaLockKey);
        if (await tryLock.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
        {
            return;
        }

        LogWaitingForLock();
        await using var waitLock = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection) { CommandTimeout = 0 };
        waitLock.Parameters.AddWithValue("key", SchemaLockKey);
        await waitLock.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task ReleaseSchemaLockAsync(NpgsqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return; // A broken connection has already dropped its session locks.
        }

        await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
        unlock.Parameters.AddWithValue("key", SchemaLockKey);
        await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void RequireSupportedServer(NpgsqlConnection connection)
    {
        if (connection.PostgreSqlVersion.Major < MinimumServerMajorVersion)
        {
            throw new SchemaMigrationException(
                $"PostgreSQL {MinimumServerMajorVersion} or newer is required; {connection.Host} runs {connection.PostgreSqlVersion}.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applying schema migration {Migration}")]
    private partial void LogApplying(string migration);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied schema migration {Migration} in {ElapsedMs} ms")]
    private partial void LogApplied(string migration, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is current at version {Version}; nothing to migrate")]
    private partial void LogAlreadyCurrent(int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Another process is migrating the database schema; waiting for it to finish")]
    private partial void LogWaitingForLock();
}
