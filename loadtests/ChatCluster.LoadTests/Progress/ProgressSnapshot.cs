namespace ChatCluster.LoadTests.Progress;

/// <summary>What the live display shows once a second.</summary>
public sealed record ProgressSnapshot(
    string Scenario,
    double ElapsedSeconds,
    double TotalSeconds,
    string Phase,
    int ActiveCopies,
    List<ProgressRow> Rows)
{
    /// <summary>Sums workers' snapshots; last-second percentiles become the worst worker's (an upper bound).</summary>
    public static ProgressSnapshot Combine(IReadOnlyList<ProgressSnapshot> parts)
    {
        var first = parts[0];
        var rows = first.Rows.Select((row, i) =>
        {
            var same = parts.Where(p => p.Rows.Count > i).Select(p => p.Rows[i]).ToList();
            return new ProgressRow(row.Name,
                same.Sum(r => r.Ok), same.Sum(r => r.Failed), same.Sum(r => r.LastSecondRps),
                same.Max(r => r.LastP50Ms), same.Max(r => r.LastP99Ms),
                same.Sum(r => r.BytesSent), same.Sum(r => r.BytesReceived));
        }).ToList();
        return new ProgressSnapshot(first.Scenario, parts.Max(p => p.ElapsedSeconds), first.TotalSeconds,
            $"{first.Phase} ×{parts.Count} workers", parts.Sum(p => p.ActiveCopies), rows);
    }
}

public sealed record ProgressRow(
    string Name,
    long Ok,
    long Failed,
    double LastSecondRps,
    double LastP50Ms,
    double LastP99Ms,
    long BytesSent,
    long BytesReceived);

public interface IProgressSink : IAsyncDisposable
{
    void Report(ProgressSnapshot snapshot);

    /// <summary>Log lines go through the sink so they do not tear a live display.</summary>
    void Log(string message);
}
