using System.Globalization;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Stats;

namespace ChatCluster.LoadTests.Reporting;

/// <summary>The published form of a run: what report.json holds and the other formats render.</summary>
public sealed record RunReport(
    ReportMeta Meta,
    StatsReport Iterations,
    List<StatsReport> Steps,
    Dictionary<string, long> CopyInitFailures)
{
    /// <summary>Copies initialised before the clock started (e.g. connections opened) and how long that took, all processes together.</summary>
    public PrewarmReport? Prewarm { get; init; }

    /// <summary>What the target reported about itself during the run (e.g. gateway memory per connection); empty when it reports nothing.</summary>
    public List<TargetMeasurement> Target { get; init; } = [];

    /// <summary>What the scenario counted besides its steps (e.g. frames received per role and type), with the count per successful iteration.</summary>
    public List<CounterReport> Counters { get; init; } = [];

    public static RunReport Build(RunData data, RunSettings settings, string? title = null)
    {
        var meta = new ReportMeta(
            data.Scenario,
            title ?? data.Scenario,
            data.StartedUtc,
            Math.Round(data.DurationSeconds, 3),
            "dotnet run -c Release --project loadtests/ChatCluster.LoadTests -- " + string.Join(' ', settings.CommandLine.Select(Quote)),
            data.LoadSimulations,
            settings.Urls.Select(u => u.ToString()).ToList(),
            settings.Workers,
            data.Processes,
            settings.SourceAddresses.Select(a => a.ToString()).ToList(),
            new SortedDictionary<string, string>(settings.ScenarioOptions.ToDictionary(), StringComparer.Ordinal).ToDictionary(),
            MachineInfo.Current());
        return new RunReport(meta, StatsReport.From(data.Iterations, data.DurationSeconds),
            data.Steps.Select(s => StatsReport.From(s, data.DurationSeconds)).ToList(),
            data.CopyInitFailures)
        {
            Prewarm = data.PrewarmCopies > 0
                ? new PrewarmReport(data.PrewarmCopies, Math.Round(data.PrewarmSeconds, 3), data.PrewarmSeconds > 0 ? Math.Round(data.PrewarmCopies / data.PrewarmSeconds, 1) : 0)
                : null,
            Counters = CounterReport.From(data.Counters, data.Iterations.Ok),
        };
    }

    private static string Quote(string arg) => arg.Contains(' ') ? $"\"{arg}\"" : arg;
}

/// <summary>One counter of a run, e.g. ("frames:agent:conversation", 12345, 0.62 per delivered message).</summary>
public sealed record CounterReport(string Name, long Total, double PerIteration)
{
    public static List<CounterReport> From(IReadOnlyDictionary<string, long> counters, long okIterations) =>
        counters.OrderBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => new CounterReport(c.Key, c.Value, okIterations > 0 ? Math.Round(c.Value / (double)okIterations, 3) : 0))
            .ToList();
}

/// <param name="CopiesPerSecond">Copies ready / prewarm seconds: for connection scenarios, the connect rate (connect + hello).</param>
public sealed record PrewarmReport(long Copies, double Seconds, double CopiesPerSecond);

/// <summary>One number a target reported, e.g. ("gateway", "memory per connection", 11.2, "KiB", how it was measured).</summary>
public sealed record TargetMeasurement(string Source, string Name, double Value, string Unit, string? Note = null);

public sealed record ReportMeta(
    string Scenario,
    string Title,
    DateTimeOffset StartedUtc,
    double DurationSeconds,
    string Command,
    List<string> LoadSimulations,
    List<string> Targets,
    int Workers,
    int Processes,
    List<string> SourceAddresses,
    Dictionary<string, string> Options,
    MachineInfo Machine);

/// <param name="LoadAverage">1/5/15-minute load average when the report was built: on a shared machine it says how noisy the run was.</param>
public sealed record MachineInfo(string Os, string Runtime, string Cpu, int Cores, double MemoryGiB, string LoadAverage)
{
    public static MachineInfo Current() => new(
        System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        CpuModel(),
        Environment.ProcessorCount,
        Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (double)(1L << 30), 1),
        LoadAverageNow());

    private static string LoadAverageNow()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException) { return "unknown"; }
        catch (UnauthorizedAccessException) { return "unknown"; }
    }
}

public sealed record StatsReport(
    string Name,
    long Ok,
    long Failed,
    double OkPerSecond,
    double FailedPercent,
    LatencyReport Latency,
    long BytesSent,
    long BytesReceived,
    List<ErrorCount> Errors,
    List<TimePoint> TimeSeries)
{
    public static StatsReport From(StatsData data, double durationSeconds)
    {
        var histogram = data.DecodeHistogram();
        double P(double percentile) => data.Ok == 0 ? 0 : LatencyHistograms.Millis(histogram.GetValueAtPercentile(percentile));
        var latency = new LatencyReport(
            LatencyHistograms.Millis(data.MinMicros),
            data.Ok == 0 ? 0 : Math.Round(data.SumMicros / data.Ok / 1000.0, 3),
            LatencyHistograms.Millis(data.MaxMicros),
            P(50), P(75), P(95), P(99), P(99.9));
        var total = data.Ok + data.Failed;
        return new StatsReport(
            data.Name,
            data.Ok,
            data.Failed,
            durationSeconds > 0 ? Math.Round(data.Ok / durationSeconds, 1) : 0,
            total == 0 ? 0 : Math.Round(100.0 * data.Failed / total, 3),
            latency,
            data.BytesSent,
            data.BytesReceived,
            data.Errors.OrderByDescending(e => e.Value).Select(e => new ErrorCount(e.Key, e.Value)).ToList(),
            data.Intervals.Select(i => new TimePoint(
                i.Second, Math.Round(i.LengthSeconds, 3), i.Ok, i.Failed,
                i.LengthSeconds > 0 ? Math.Round(i.Ok / i.LengthSeconds, 1) : 0,
                i.BytesSent, i.BytesReceived, i.ActiveCopies,
                LatencyHistograms.Millis(i.P50Micros), LatencyHistograms.Millis(i.P95Micros),
                LatencyHistograms.Millis(i.P99Micros), LatencyHistograms.Millis(i.MaxMicros))).ToList());
    }

    public static string Ms(double value) => value.ToString(value >= 100 ? "0.0" : "0.000", CultureInfo.InvariantCulture);
}

public sealed record LatencyReport(double MinMs, double MeanMs, double MaxMs, double P50Ms, double P75Ms, double P95Ms, double P99Ms, double P999Ms);

public sealed record ErrorCount(string Code, long Count);

public sealed record TimePoint(
    int Second,
    double LengthSeconds,
    long Ok,
    long Failed,
    double OkPerSecond,
    long BytesSent,
    long BytesReceived,
    int ActiveCopies,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs);
