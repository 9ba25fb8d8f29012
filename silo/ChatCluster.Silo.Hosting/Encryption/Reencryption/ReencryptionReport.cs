namespace ChatCluster.Silo.Hosting.Encryption.Reencryption;

/// <summary>
/// What a re-encryption pass saw and did. <see cref="Remaining"/> counts, per key id, the values still sealed under
/// that key when the pass ended: an inactive key with 0 there seals nothing any more and can be taken out of
/// <c>ChatCluster:Encryption:Keys</c>.
/// </summary>
public sealed class ReencryptionReport(string activeKeyId, IEnumerable<string> ringKeyIds, bool dryRun)
{
    /// <summary>How many locations of a problem are kept for the printout; the counts are always complete.</summary>
    public const int ExamplesKept = 20;

    private readonly SortedDictionary<string, long> remaining = new(ringKeyIds.ToDictionary(id => id, _ => 0L), StringComparer.Ordinal);
    private readonly HashSet<string> ring = new(ringKeyIds, StringComparer.Ordinal);

    public string ActiveKeyId { get; } = activeKeyId;
    public bool DryRun { get; } = dryRun;

    /// <summary>Values read, sealed or not.</summary>
    public long Read { get; private set; }

    /// <summary>Values re-sealed under the active key and written back (in a dry run: values that would be).</summary>
    public long Resealed { get; private set; }

    /// <summary>Values a grain changed (or retention deleted) between read and write-back; left alone, the next run sees them again.</summary>
    public long ChangedMeanwhile { get; private set; }

    /// <summary>Values that are not sealed at all: state of unencrypted providers (PubSubStore) or written before S1. Left as they are.</summary>
    public long NotSealed { get; private set; }

    /// <summary>Values sealed under a key id the ring does not have; they cannot be re-sealed.</summary>
    public long UnknownKey { get; private set; }

    /// <summary>Values that did not open with their key and context (damaged, or moved from another place).</summary>
    public long Unreadable { get; private set; }

    /// <summary>Key id to values still sealed under it, including ring keys with none.</summary>
    public IReadOnlyDictionary<string, long> Remaining => remaining;

    /// <summary>Some locations of unknown-key and unreadable values, so an operator can look at them.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>True when no value is left under a key other than the active one, and nothing was unreadable.</summary>
    public bool Complete => Unreadable == 0 && remaining.All(pair => pair.Key == ActiveKeyId || pair.Value == 0);

    /// <summary>Key ids of the ring other than the active one that seal nothing any more.</summary>
    public IEnumerable<string> RetirableKeys => remaining.Where(pair => pair.Key != ActiveKeyId && ring.Contains(pair.Key) && pair.Value == 0).Select(pair => pair.Key);

    internal void CountRead() => Read++;

    internal void CountNotSealed() => NotSealed++;

    internal void CountUnder(string keyId) => remaining[keyId] = remaining.GetValueOrDefault(keyId) + 1;

    internal void CountResealed() => Resealed++;

    internal void CountChangedMeanwhile() => ChangedMeanwhile++;

    internal void CountUnknownKey(SealedCell cell, string keyId)
    {
        UnknownKey++;
        Note($"{cell.Column} {cell.Location}: sealed under key '{keyId}', which is not in {EncryptionOptions.KeysKey}");
    }

    internal void CountUnreadable(SealedCell cell, string reason)
    {
        Unreadable++;
        Note($"{cell.Column} {cell.Location}: {reason}");
    }

    /// <summary>The closing summary, one fact a line, ending with what the operator may do next.</summary>
    public IEnumerable<string> Summary()
    {
        yield return DryRun
            ? $"dry run: {Read} values read, {Resealed} would be re-sealed under '{ActiveKeyId}', nothing written"
            : $"done: {Read} values read, {Resealed} re-sealed under '{ActiveKeyId}', {ChangedMeanwhile} changed by a live grain meanwhile (left alone)";
        if (NotSealed > 0) yield return $"{NotSealed} values are not sealed (unencrypted PubSubStore state, or written before encryption); left as they are";
        foreach (var (keyId, count) in remaining)
        {
            var role = keyId == ActiveKeyId ? "active" : ring.Contains(keyId) ? "retiring" : "NOT IN THE RING";
            yield return $"key {keyId} ({role}): {count} values";
        }
        foreach (var problem in Problems) yield return "  " + problem;
        if (Problems.Count < UnknownKey + Unreadable) yield return $"  … and {UnknownKey + Unreadable - Problems.Count} more";
        if (UnknownKey > 0)
            yield return $"{UnknownKey} values are sealed under a key that is not in {EncryptionOptions.KeysKey}: put that key back into the ring and run again, or they stay unreadable";
        if (Unreadable > 0)
            yield return $"{Unreadable} values did not open with their key: they are damaged or were copied from another row; they were left as they are";
        if (Complete)
        {
            var retirable = RetirableKeys.ToList();
            yield return retirable.Count == 0
                ? $"every value is sealed under the active key '{ActiveKeyId}'"
                : $"every value is sealed under the active key '{ActiveKeyId}'; key(s) {string.Join(", ", retirable)} may now be removed from {EncryptionOptions.KeysKey} on every silo";
        }
        else if (DryRun && UnknownKey == 0 && Unreadable == 0)
        {
            yield return "run without --dry-run to re-seal them under the active key";
        }
        else if (UnknownKey == 0 && Unreadable == 0)
        {
            yield return "values remain under a retiring key (written meanwhile by a silo whose active key is still the old one, or changed during the pass): check every silo's ActiveKeyId and run again";
        }
    }

    private void Note(string problem)
    {
        if (Problems.Count < ExamplesKept) Problems.Add(problem);
    }
}
