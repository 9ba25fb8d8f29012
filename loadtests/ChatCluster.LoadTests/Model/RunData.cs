using ChatCluster.LoadTests.Stats;

namespace ChatCluster.LoadTests.Model;

/// <summary>Raw outcome of one process's run (or of several merged): what reports are built from.</summary>
public sealed record RunData(
    string Scenario,
    DateTimeOffset StartedUtc,
    double DurationSeconds,
    StatsData Iterations,
    List<StatsData> Steps,
    Dictionary<string, long> CopyInitFailures,
    List<string> LoadSimulations,
    int Processes)
{
    /// <summary>Copies initialised before the clock started, and the wall time that took (the slowest process when merged).</summary>
    public long PrewarmCopies { get; init; }

    public double PrewarmSeconds { get; init; }

    /// <summary>Staircase steps: the offered window's length (the run's duration also holds the drain).</summary>
    public double StepSeconds { get; init; }

    /// <summary>What the scenario counted besides its steps (e.g. frames received per type and role), summed over processes.</summary>
    public Dictionary<string, long> Counters { get; init; } = [];

    public static RunData Merge(IReadOnlyList<RunData> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("Nothing to merge.", nameof(parts));
        var first = parts[0];
        var initFailures = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (code, count) in parts.SelectMany(p => p.CopyInitFailures))
            initFailures[code] = initFailures.GetValueOrDefault(code) + count;
        return new RunData(
            first.Scenario,
            parts.Min(p => p.StartedUtc),
            parts.Max(p => p.DurationSeconds),
            StatsData.Merge(first.Iterations.Name, parts.Select(p => p.Iterations).ToList()),
            first.Steps.Select((s, i) => StatsData.Merge(s.Name, parts.Select(p => p.Steps[i]).ToList())).ToList(),
            initFailures,
            first.LoadSimulations,
            parts.Sum(p => p.Processes))
        {
            PrewarmCopies = parts.Sum(p => p.PrewarmCopies),
            PrewarmSeconds = parts.Max(p => p.PrewarmSeconds),
            Counters = parts.SelectMany(p => p.Counters).GroupBy(c => c.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Sum(c => c.Value), StringComparer.Ordinal),
        };
    }
}
