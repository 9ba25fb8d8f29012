using ChatCluster.Silo.Hosting;
using ChatCluster.Silo.Hosting.Database;
using ChatCluster.Silo.Hosting.Encryption;
using ChatCluster.Silo.Hosting.Encryption.Reencryption;
using Npgsql;

namespace ChatCluster.Silo;

/// <summary>
/// <c>dotnet run --project silo/ChatCluster.Silo -- reencrypt [--dry-run] [--batch-size N]</c>: re-seals every value
/// sealed under a key other than <c>ChatCluster:Encryption:ActiveKeyId</c> (S1 key rotation; docs/privacy.md) and
/// prints, per key id, how many values remain. Live silos may keep running. Exit codes: 0 every value is under the
/// active key (the other keys may be removed); 1 the pass could not run; 2 values remain under another key (a dry run
/// that found work, a value changed during the pass, a key missing from the ring, or a value that does not open).
/// </summary>
internal static class ReencryptCommand
{
    public const string Name = "reencrypt";

    public static async Task<int> Run(IConfiguration configuration, IReadOnlyList<string> args)
    {
        if (!TryParse(args, out var dryRun, out var batchSize, out var usage))
        {
            Console.Error.WriteLine($"reencrypt: {usage}");
            Console.Error.WriteLine($"usage: {Name} [--dry-run] [--batch-size 1..{ReencryptionPass.MaxBatchSize}]");
            return 1;
        }
        try
        {
            var postgres = configuration.ReadPostgresOptions();
            var cipher = configuration.ReadPersonalDataCipher(required: true);
            // Only checks that the schema is current; migrating is the job of `migrate`.
            postgres.MigrateOnStart = false;
            await new DatabaseMigrator().EnsureSchemaAsync(postgres, CancellationToken.None);

            await using var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString!);
            var report = await new ReencryptionPass(dataSource, cipher, Console.Out).Run(dryRun, batchSize);
            foreach (var line in report.Summary()) Console.WriteLine(line);
            return report.Complete ? 0 : 2;
        }
        catch (Exception ex) when (ex is DatabaseConnectionException or SchemaMigrationException or Microsoft.Extensions.Options.OptionsValidationException
                                       or NpgsqlException)
        {
            Console.Error.WriteLine($"reencrypt failed: {ex.Message}");
            return 1;
        }
    }

    private static bool TryParse(IReadOnlyList<string> args, out bool dryRun, out int batchSize, out string problem)
    {
        (dryRun, batchSize, problem) = (false, ReencryptionPass.DefaultBatchSize, "");
        for (var i = 1; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--dry-run":
                    dryRun = true;
                    break;
                case "--batch-size" when i + 1 < args.Count && int.TryParse(args[i + 1], out var size) && size is >= 1 and <= ReencryptionPass.MaxBatchSize:
                    batchSize = size;
                    i++;
                    break;
                default:
                    problem = $"unknown or invalid argument '{args[i]}'";
                    return false;
            }
        }
        return true;
    }
}
