namespace ChatCluster.Silo.Hosting.Database;

/// <summary>How the database schema compares with what this build expects.</summary>
public enum SchemaState
{
    /// <summary>No ChatCluster schema at all: the database was never migrated.</summary>
    Missing,

    /// <summary>Some migrations of this build are not applied yet.</summary>
    Outdated,

    /// <summary>Every migration of this build is applied, unchanged.</summary>
    Current,

    /// <summary>The database has migrations this build does not know (a newer build migrated it).</summary>
    Ahead,

    /// <summary>An applied migration no longer matches its file: someone edited a released migration.</summary>
    Modified,
}

/// <summary>The result of <see cref="DatabaseMigrator.CheckAsync"/>.</summary>
/// <param name="State">The verdict.</param>
/// <param name="CurrentVersion">Highest migration version applied to the database (0 when none).</param>
/// <param name="ExpectedVersion">Highest migration version this build ships.</param>
/// <param name="PendingMigrations">File names of this build's migrations not yet applied.</param>
/// <param name="Message">A sentence an operator can act on.</param>
public sealed record SchemaStatus(
    SchemaState State,
    int CurrentVersion,
    int ExpectedVersion,
    IReadOnlyList<string> PendingMigrations,
    string Message)
{
    public const string MigrateCommand = "dotnet run --project silo/ChatCluster.Silo -- migrate";

    public bool IsCurrent => State == SchemaState.Current;

    /// <summary>Throws <see cref="SchemaNotCurrentException"/> unless the schema is current; used at silo start.</summary>
    public SchemaStatus EnsureCurrent() => IsCurrent ? this : throw new SchemaNotCurrentException(this);
}

/// <summary>What <see cref="DatabaseMigrator.MigrateAsync"/> did.</summary>
/// <param name="FromVersion">Schema version before the run (0 for an empty database).</param>
/// <param name="ToVersion">Schema version after the run.</param>
/// <param name="Applied">The migrations this run applied, in order; empty when the schema was already current.</param>
public sealed record MigrationReport(int FromVersion, int ToVersion, IReadOnlyList<AppliedMigration> Applied)
{
    public bool ChangedSchema => Applied.Count > 0;
}

/// <param name="Version">The migration's version.</param>
/// <param name="Name">The migration's file name.</param>
/// <param name="Duration">How long applying it took.</param>
public sealed record AppliedMigration(int Version, string Name, TimeSpan Duration);
