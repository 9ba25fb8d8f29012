using HdrHistogram;

namespace ChatCluster.LoadTests.Stats;

/// <summary>
/// Raw, mergeable statistics of one step (or of whole iterations): what a worker hands to the coordinator
/// and what reports are computed from. Latencies only of successful executions are in the histograms.
/// </summary>
public sealed record StatsData(
    string Name,
    long Ok,
    long Failed,
    long BytesSent,
    long BytesReceived,
    long MinMicros,
    long MaxMicros,
    double SumMicros,
    Dictionary<string, long> Errors,
    string Histogram,
    List<IntervalData> Intervals)
{
    public static StatsData Merge(string name, IReadOnlyList<StatsData> parts)
    {
        if (parts.Count == 1) return parts[0] with { Name = name };
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (code, count) in parts.SelectMany(p => p.Errors))
            errors[code] = errors.GetValueOrDefault(code) + count;
        var withLatency = parts.Where(p => p.Ok > 0).ToList();
        var intervals = parts.SelectMany(p => p.Intervals)
            .GroupBy(i => i.Second)
            .OrderBy(g => g.Key)
            .Select(g => IntervalData.Merge(g.ToList()))
            .ToList();
        return new StatsData(
            name,
            parts.Sum(p => p.Ok),
            parts.Sum(p => p.Failed),
            parts.Sum(p => p.BytesSent),
            parts.Sum(p => p.BytesReceived),
            withLatency.Count == 0 ? 0 : withLatency.Min(p => p.MinMicros),
            withLatency.Count == 0 ? 0 : withLatency.Max(p => p.MaxMicros),
            parts.Sum(p => p.SumMicros),
            errors,
            LatencyHistograms.Encode(LatencyHistograms.Merge(parts.Select(p => p.Histogram))),
            intervals);
    }

    public HistogramBase DecodeHistogram() =>
        string.IsNullOrEmpty(Histogram) ? LatencyHistograms.Create() : LatencyHistograms.Decode(Histogram);
}

/// <summary>One time-series bucket (normally one second; the last one may be shorter).</summary>
public sealed record IntervalData(
    int Second,
    double LengthSeconds,
    long Ok,
    long Failed,
    long BytesSent,
    long BytesReceived,
    int ActiveCopies,
    long P50Micros,
    long P95Micros,
    long P99Micros,
    long MaxMicros,
    string? Histogram)
{
    public static IntervalData Merge(IReadOnlyList<IntervalData> parts)
    {
        if (parts.Count == 1) return parts[0];
        var encoded = parts.Select(p => p.Histogram).Where(h => !string.IsNullOrEmpty(h)).Cast<string>().ToList();
        long p50, p95, p99, max;
        if (encoded.Count == parts.Count(p => p.Ok > 0))
        {
            var merged = LatencyHistograms.Merge(encoded);
            (p50, p95, p99, max) = Percentiles(merged);
        }
        else
        {
            // Without histograms only an upper bound is known: the worst worker's value.
            (p50, p95, p99, max) = (parts.Max(p => p.P50Micros), parts.Max(p => p.P95Micros), parts.Max(p => p.P99Micros), parts.Max(p => p.MaxMicros));
        }
        return new IntervalData(
            parts[0].Second,
            parts.Max(p => p.LengthSeconds),
            parts.Sum(p => p.Ok),
            parts.Sum(p => p.Failed),
            parts.Sum(p => p.BytesSent),
            parts.Sum(p => p.BytesReceived),
            parts.Sum(p => p.ActiveCopies),
            p50, p95, p99, max,
            null);
    }

    internal static (long P50, long P95, long P99, long Max) Percentiles(HistogramBase h) =>
        h.TotalCount == 0
            ? (0, 0, 0, 0)
            : (h.GetValueAtPercentile(50), h.GetValueAtPercentile(95), h.GetValueAtPercentile(99), h.GetMaxValue());
}
