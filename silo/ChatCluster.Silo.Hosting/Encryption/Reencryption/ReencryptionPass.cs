using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace ChatCluster.Silo.Hosting.Encryption.Reencryption;

/// <summary>
/// Re-seals every stored value that is sealed under a key other than the active one (S1 key rotation), so the old
/// key can leave the ring. It walks <c>orleans_storage</c>, <c>conversation_messages</c> and <c>mail_outbox</c> a bounded batch at a time,
/// reads the key id from each value's header, and for an old key opens the value and seals it again under the active
/// key with the same associated data: the bytes change, the meaning does not, so live silos (with both keys in their
/// ring) keep running meanwhile. Every write-back is guarded by the value it read, so a concurrent grain write always
/// wins. Values already under the active key are skipped, which makes the pass idempotent and safe to restart.
/// </summary>
public sealed class ReencryptionPass(NpgsqlDataSource dataSource, PersonalDataCipher cipher, TextWriter progress)
{
    public const int DefaultBatchSize = 500;
    public const int MaxBatchSize = 10_000;

    /// <summary>Every table whose values are sealed, in the order they are walked, each with a fresh cursor.</summary>
    public static IReadOnlyList<ISealedTable> SealedTables(NpgsqlDataSource source) =>
        [new GrainStatePayloads(source), new ConversationMessageColumns(source), new MailOutboxMessages(source)];

    /// <summary>
    /// Runs the pass. With <paramref name="dryRun"/> nothing is written: it only counts values per key id and how many
    /// would be re-sealed.
    /// </summary>
    public Task<ReencryptionReport> Run(bool dryRun = false, int batchSize = DefaultBatchSize, CancellationToken cancellationToken = default) =>
        Run(SealedTables(dataSource), dryRun, batchSize, cancellationToken);

    /// <summary>Runs the pass over <paramref name="tables"/> only (fresh ones: a table's cursor moves as it is walked).</summary>
    public async Task<ReencryptionReport> Run(IReadOnlyList<ISealedTable> tables, bool dryRun, int batchSize, CancellationToken cancellationToken = default)
    {
        if (batchSize is < 1 or > MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"The batch size is 1 to {MaxBatchSize} rows.");
        var report = new ReencryptionReport(cipher.ActiveKeyId, cipher.KeyIds, dryRun);
        progress.WriteLine($"{(dryRun ? "counting" : "re-sealing")} values not sealed under the active key '{cipher.ActiveKeyId}' " +
                           $"(ring: {string.Join(", ", cipher.KeyIds.Order(StringComparer.Ordinal))}); batches of {batchSize} rows");
        foreach (var table in tables)
        {
            var clock = Stopwatch.StartNew();
            var batches = 0;
            long rows = 0, before = report.Resealed, changedBefore = report.ChangedMeanwhile;
            while (true)
            {
                var cells = await table.NextBatch(batchSize, cancellationToken).ConfigureAwait(false);
                if (cells.Count == 0) break;
                batches++;
                rows += cells.Count;
                foreach (var cell in cells) await Visit(cell, report, dryRun, cancellationToken).ConfigureAwait(false);
                progress.WriteLine($"{table.Name}: batch {batches}, {rows} values read, {report.Resealed - before} {(dryRun ? "to re-seal" : "re-sealed")}, " +
                                   $"{report.ChangedMeanwhile - changedBefore} changed meanwhile ({clock.Elapsed.TotalSeconds:0.0} s)");
            }
            if (batches == 0) progress.WriteLine($"{table.Name}: empty");
        }
        return report;
    }

    private async Task Visit(SealedCell cell, ReencryptionReport report, bool dryRun, CancellationToken cancellationToken)
    {
        report.CountRead();
        if (!PersonalDataCipher.IsSealed(cell.Value))
        {
            report.CountNotSealed();
            return;
        }
        if (!PersonalDataCipher.TryKeyIdOf(cell.Value, out var keyId))
        {
            report.CountUnreadable(cell, "the sealed header is truncated");
            return;
        }
        if (keyId == cipher.ActiveKeyId)
        {
            report.CountUnder(keyId);
            return;
        }
        if (!cipher.HasKey(keyId))
        {
            report.CountUnknownKey(cell, keyId);
            report.CountUnder(keyId);
            return;
        }

        byte[] resealed;
        try
        {
            // Opening proves the value is intact under its old key before anything is written; in a dry run too.
            resealed = cipher.Reseal(cell.Value, cell.Context);
        }
        catch (CryptographicException ex)
        {
            report.CountUnreadable(cell, $"does not open under key '{keyId}' ({ex.Message})");
            report.CountUnder(keyId);
            return;
        }

        if (dryRun)
        {
            report.CountResealed();
            report.CountUnder(keyId);
        }
        else if (await cell.WriteBack(resealed, cancellationToken).ConfigureAwait(false))
        {
            report.CountResealed();
            report.CountUnder(cipher.ActiveKeyId);
        }
        else
        {
            // A grain wrote (or retention deleted) the value after it was read. The live write won; whatever is there
            // now is counted by the next run, so this one reports it conservatively under its old key.
            report.CountChangedMeanwhile();
            report.CountUnder(keyId);
        }
    }
}
