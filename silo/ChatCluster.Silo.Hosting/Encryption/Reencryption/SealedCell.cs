namespace ChatCluster.Silo.Hosting.Encryption.Reencryption;

/// <summary>
/// One stored value the re-encryption pass looks at: where it is (<paramref name="Location"/>, ids only, never
/// personal data, so it can be printed), its bytes as read, and the associated data it was sealed with.
/// <paramref name="WriteBack"/> replaces the value only if it is still exactly what was read, so a grain that wrote
/// in between keeps its write; it answers false then.
/// </summary>
public sealed record SealedCell(
    string Column,
    string Location,
    byte[] Value,
    string Context,
    Func<byte[], CancellationToken, Task<bool>> WriteBack);

/// <summary>A table whose column values are sealed (S1), walked in primary-key order a bounded batch at a time.</summary>
public interface ISealedTable
{
    /// <summary>The table name, as printed in progress lines.</summary>
    string Name { get; }

    /// <summary>
    /// The next batch of at most <paramref name="batchSize"/> rows after the previous one (keyset pagination: no
    /// offset, so each batch costs the same however far the walk is); empty at the end of the table.
    /// </summary>
    Task<IReadOnlyList<SealedCell>> NextBatch(int batchSize, CancellationToken cancellationToken);
}
