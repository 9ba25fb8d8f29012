using ChatCluster.Silo.Hosting;
using ChatCluster.Silo.Hosting.Database;

namespace ChatCluster.Silo;

/// <summary>
/// <c>dotnet run --project silo/ChatCluster.Silo -- migrate</c>: applies pending schema migrations to
/// <c>ChatCluster:Postgres:ConnectionString</c> and exits (0 on success, 1 with a message otherwise).
/// </summary>
internal static class MigrateCommand
{
    public const string Name = "migrate";

    public static async Task<int> Run(IConfiguration configuration)
    {
        try
        {
            var postgres = configuration.ReadPostgresOptions();
            var report = await new DatabaseMigrator().MigrateAsync(postgres.ConnectionString!);
            foreach (var applied in report.Applied)
                Console.WriteLine($"applied {applied.Name} ({applied.Duration.TotalMilliseconds:0} ms)");
            Console.WriteLine(report.ChangedSchema
                ? $"schema migrated from version {report.FromVersion} to {report.ToVersion}"
                : $"schema already current at version {report.ToVersion}");
            return 0;
        }
        catch (Exception ex) when (ex is DatabaseConnectionException or SchemaMigrationException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            Console.Error.WriteLine($"migrate failed: {ex.Message}");
            return 1;
        }
    }
}
