using System.Globalization;
using System.Text;

namespace ChatCluster.LoadTests.Reporting;

public static class MarkdownReport
{
    public static string Render(RunReport report)
    {
        var m = report.Meta;
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Load test: {m.Title}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Scenario: `{m.Scenario}`, started {m.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC, measured {m.DurationSeconds:0.###} s");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Command: `{m.Command}`");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Load: {string.Join(", then ", m.LoadSimulations)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Targets: {string.Join(", ", m.Targets)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Processes: {m.Processes} (workers: {m.Workers}); source addresses: {(m.SourceAddresses.Count == 0 ? "OS default" : string.Join(", ", m.SourceAddresses))}");
        if (m.Options.Count > 0)
            md.AppendLine(CultureInfo.InvariantCulture, $"- Options: {string.Join(", ", m.Options.Select(o => $"{o.Key}={o.Value}"))}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {m.Machine.Cpu}, {m.Machine.Cores} cores, {m.Machine.MemoryGiB} GiB, {m.Machine.Os}, {m.Machine.Runtime}; load average {m.Machine.LoadAverage}");
        md.AppendLine();
        md.AppendLine("## Summary");
        md.AppendLine();
        md.AppendLine(SummaryTable(report));
        md.AppendLine("Latencies in milliseconds, of successful executions only. RPS = ok per second over the measured duration.");
        md.AppendLine();
        if (report.Prewarm is { } prewarm)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"Prewarm: {prewarm.Copies} copies ready in {prewarm.Seconds:0.###} s ({prewarm.CopiesPerSecond:0.#}/s), before the measured window.");
            md.AppendLine();
        }
        if (report.Target.Count > 0)
        {
            md.AppendLine("## Target");
            md.AppendLine();
            md.AppendLine("| source | measurement | value | how |");
            md.AppendLine("| --- | --- | ---: | --- |");
            foreach (var t in report.Target)
                md.AppendLine(CultureInfo.InvariantCulture, $"| {t.Source} | {t.Name} | {t.Value:0.##} {t.Unit} | {t.Note} |");
            md.AppendLine();
        }
        if (report.Counters.Count > 0)
        {
            md.AppendLine(CounterTable(report.Counters));
        }
        var failing = report.Steps.Prepend(report.Iterations).Where(s => s.Errors.Count > 0).ToList();
        if (failing.Count > 0 || report.CopyInitFailures.Count > 0)
        {
            md.AppendLine("## Errors");
            md.AppendLine();
            md.AppendLine("| where | error code | count |");
            md.AppendLine("| --- | --- | ---: |");
            foreach (var s in failing)
                foreach (var e in s.Errors)
                    md.AppendLine(CultureInfo.InvariantCulture, $"| {s.Name} | `{e.Code}` | {e.Count} |");
            foreach (var (code, count) in report.CopyInitFailures)
                md.AppendLine(CultureInfo.InvariantCulture, $"| copy init | `{code}` | {count} |");
            md.AppendLine();
        }
        md.AppendLine("## Over time (iterations)");
        md.AppendLine();
        md.AppendLine("| s | ok/s | failed | copies | p50 | p95 | p99 | max |");
        md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var p in report.Iterations.TimeSeries)
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Second} | {p.OkPerSecond:0} | {p.Failed} | {p.ActiveCopies} | {StatsReport.Ms(p.P50Ms)} | {StatsReport.Ms(p.P95Ms)} | {StatsReport.Ms(p.P99Ms)} | {StatsReport.Ms(p.MaxMs)} |");
        return md.ToString();
    }

    /// <summary>Frames received by the generator's sockets, per role and type, and per delivered message.</summary>
    public static string CounterTable(IReadOnlyList<CounterReport> counters)
    {
        var md = new StringBuilder();
        md.AppendLine("## Per message");
        md.AppendLine();
        md.AppendLine("`frames:<role>:<type>`: frames the generator's sockets received during the measured window, per role and frame type. " +
                      "`server:<process>:<counter>`: Orleans' counters on that process's /metrics over the same window (grain calls received, calls made, stream events, storage writes). " +
                      "Per message = per successful iteration (delivered message).");
        md.AppendLine();
        md.AppendLine("| counter | total | per message |");
        md.AppendLine("| --- | ---: | ---: |");
        foreach (var c in counters)
            md.AppendLine(CultureInfo.InvariantCulture, $"| `{c.Name}` | {c.Total} | {c.PerIteration:0.###} |");
        return md.ToString();
    }

    public static string SummaryTable(RunReport report)
    {
        var md = new StringBuilder();
        md.AppendLine("| step | ok | failed | RPS | min | mean | p50 | p75 | p95 | p99 | p99.9 | max | sent | received |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in report.Steps.Prepend(report.Iterations))
        {
            var l = s.Latency;
            var name = s == report.Iterations ? $"**{s.Name}** (iteration)" : s.Name;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {s.Ok} | {s.Failed} | {s.OkPerSecond:0.0} | {StatsReport.Ms(l.MinMs)} | {StatsReport.Ms(l.MeanMs)} | {StatsReport.Ms(l.P50Ms)} | {StatsReport.Ms(l.P75Ms)} | {StatsReport.Ms(l.P95Ms)} | {StatsReport.Ms(l.P99Ms)} | {StatsReport.Ms(l.P999Ms)} | {StatsReport.Ms(l.MaxMs)} | {Progress.ProgressSinks.Bytes(s.BytesSent)} | {Progress.ProgressSinks.Bytes(s.BytesReceived)} |");
        }
        return md.ToString();
    }
}
