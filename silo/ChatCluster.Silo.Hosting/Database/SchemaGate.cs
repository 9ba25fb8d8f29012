using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// The first thing a PostgreSQL silo does: make sure the schema is the one this build expects
/// (migrating it when <see cref="PostgresOptions.MigrateOnStart"/> is set) before any Orleans
/// provider touches the database. A failure stops the silo with the migrator's message, which names
/// the configuration key or the migrate command to run.
/// </summary>
internal sealed class SchemaGate(PostgresOptions options, PostgresConnectionBudget budget, ILogger<SchemaGate> logger, ILogger<DatabaseMigrator> migratorLogger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SchemaGate), ServiceLifecycleStage.First, OnStart);

    private async Task OnStart(CancellationToken cancellationToken)
    {
        var status = await new DatabaseMigrator(migratorLogger).EnsureSchemaAsync(
            new PostgresOptions { ConnectionString = budget.Maintenance, MigrateOnStart = options.MigrateOnStart }, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("PostgreSQL schema at version {Version} on {Target}", status.CurrentVersion, DatabaseConnection.Describe(options.ConnectionString));
    }
}
