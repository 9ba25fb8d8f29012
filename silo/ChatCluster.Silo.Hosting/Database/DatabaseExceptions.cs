namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// PostgreSQL could not be reached with the configured connection string: the string is missing
/// or malformed, the server is down or unreachable, the credentials are wrong or the database
/// does not exist. The message names the configuration key and never contains the password.
/// </summary>
public sealed class DatabaseConnectionException(string message, Exception? innerException = null)
    : Exception(message, innerException);

/// <summary>Migrating the schema failed: an applied migration was edited, the database is newer than this build, or a script failed.</summary>
public sealed class SchemaMigrationException(string message, Exception? innerException = null)
    : Exception(message, innerException);

/// <summary>The silo refuses to start on a schema that is not the one this build expects.</summary>
public sealed class SchemaNotCurrentException(SchemaStatus status) : Exception(status.Message)
{
    public SchemaStatus Status { get; } = status;
}
