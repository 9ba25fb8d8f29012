using System.Globalization;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Stats;

namespace ChatCluster.LoadTests.Ceiling;

/// <summary>
/// When a step of the ceiling search counts as sustained (issue 12 item 5): fewer than 1 % of its messages failed
/// (an error, no ack or no delivery within the step timeout, 5 s), p99 at most 250 ms, and no growing backlog:
/// the last third's delivery p50 is not above both twice the first third's and the first third's + 10 ms (the
/// additive floor keeps a sub-millisecond baseline's jitter from reading as a backlog), and the offered rate was
/// actually offered: at least 99 % of it was sent. A step where the generator (sharing the cores) could not keep its
/// schedule measured the generator, not the target; without this check a target looks sustained at any rate the
/// generator cannot produce.
/// </summary>
public sealed record SustainedCriteria(double MaxFailedPercent = 1.0, double MaxP99Ms = 250, double BacklogRatio = 2.0, double BacklogFloorMs = 10, double MinOfferedShare = 0.99)
{
    public static SustainedCriteria Default { get; } = new();

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"< {MaxFailedPercent:0.##} % failed, p99 ≤ {MaxP99Ms:0} ms, last third's p50 ≤ max({BacklogRatio:0.#} × first third's, first third's + {BacklogFloorMs:0} ms), ≥ {100 * MinOfferedShare:0.#} % of the offered rate sent");

    public bool BacklogGrows(double firstThirdP50Ms, double lastThirdP50Ms) =>
        lastThirdP50Ms > BacklogRatio * firstThirdP50Ms && lastThirdP50Ms > firstThirdP50Ms + BacklogFloorMs;

    /// <summary>The verdict on one step, with the reasons it was not sustained.</summary>
    public CeilingStep Judge(double offeredPerSecond, RunData data)
    {
        var stats = data.Iterations;
        var during = ParseDuring(data) ?? data.DurationSeconds;
        var total = stats.Ok + stats.Failed;
        var failedPercent = total == 0 ? 100 : 100.0 * stats.Failed / total;
        var histogram = stats.DecodeHistogram();
        double P(double p) => stats.Ok == 0 ? 0 : LatencyHistograms.Millis(histogram.GetValueAtPercentile(p));
        var (first, last) = ThirdsP50(stats, during);
        var reasons = new List<string>();
        if (total == 0) reasons.Add("nothing sent");
        else if (during > 0 && total / during < MinOfferedShare * offeredPerSecond)
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"only {total / during:0}/s of {offeredPerSecond:0}/s sent"));
        if (failedPercent >= MaxFailedPercent) reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{failedPercent:0.##} % failed"));
        if (P(99) > MaxP99Ms) reasons.Add(string.Create(CultureInfo.InvariantCulture, $"p99 {P(99):0.#} ms"));
        if (BacklogGrows(first, last)) reasons.Add(string.Create(CultureInfo.InvariantCulture, $"backlog grows (p50 {first:0.#} → {last:0.#} ms)"));
        return new CeilingStep(
            Math.Round(offeredPerSecond, 1),
            Math.Round(during, 3),
            total,
            stats.Ok,
            stats.Failed,
            during > 0 ? Math.Round(stats.Ok / during, 1) : 0,
            Math.Round(failedPercent, 3),
            P(50), P(99), P(99.9),
            first, last,
            reasons.Count == 0,
            reasons,
            stats.Errors.OrderByDescending(e => e.Value).Take(5).Select(e => new Reporting.ErrorCount(e.Key, e.Value)).ToList(),
            Reporting.CounterReport.From(data.Counters, stats.Ok));
    }

    /// <summary>
    /// p50 of the messages delivered in the step's first third and in its last third (per-second histograms merged,
    /// never percentiles averaged). Seconds are of delivery; the drain after the step counts for the last third.
    /// </summary>
    public static (double FirstMs, double LastMs) ThirdsP50(StatsData stats, double duringSeconds)
    {
        var third = Math.Max(1, duringSeconds / 3);
        var first = stats.Intervals.Where(i => i.Second <= Math.Ceiling(third)).ToList();
        var last = stats.Intervals.Where(i => i.Second > Math.Floor(duringSeconds - third)).ToList();
        return (P50(first), P50(last));
    }

    private static double P50(IReadOnlyList<IntervalData> intervals)
    {
        var encoded = intervals.Select(i => i.Histogram).OfType<string>().Where(h => h.Length > 0).ToList();
        if (encoded.Count == 0) return 0;
        var merged = LatencyHistograms.Merge(encoded);
        return merged.TotalCount == 0 ? 0 : LatencyHistograms.Millis(merged.GetValueAtPercentile(50));
    }

    private static double? ParseDuring(RunData data) => data.StepSeconds > 0 ? data.StepSeconds : null;
}

/// <summary>One step of a ceiling search: what was offered and what came of it.</summary>
public sealed record CeilingStep(
    double OfferedPerSecond,
    double Seconds,
    long Sent,
    long Delivered,
    long Failed,
    double DeliveredPerSecond,
    double FailedPercent,
    double P50Ms,
    double P99Ms,
    double P999Ms,
    double FirstThirdP50Ms,
    double LastThirdP50Ms,
    bool Sustained,
    List<string> Reasons,
    List<Reporting.ErrorCount> Errors,
    List<Reporting.CounterReport> Counters);
