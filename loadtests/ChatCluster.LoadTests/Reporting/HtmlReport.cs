using System.Globalization;
using System.Net;
using System.Text;

namespace ChatCluster.LoadTests.Reporting;

/// <summary>A self-contained page: inline CSS and SVG, no script, no network.</summary>
public static class HtmlReport
{
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"];

    public static string Render(RunReport report)
    {
        var m = report.Meta;
        var all = report.Steps.Prepend(report.Iterations).ToList();
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append(F($"<title>Load test: {E(m.Title)}</title>"));
        html.Append("<style>body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}" +
                    "table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}" +
                    "th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}code{background:#f4f4f4;padding:1px 4px}" +
                    ".bad{color:#c00;font-weight:bold}svg{display:block;margin:14px 0;max-width:100%;height:auto}</style></head><body>");
        html.Append(F($"<h1>Load test: {E(m.Title)}</h1>"));
        html.Append("<ul>");
        html.Append(F($"<li>Scenario <code>{E(m.Scenario)}</code>, started {m.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC, measured {m.DurationSeconds:0.###} s</li>"));
        html.Append(F($"<li>Command: <code>{E(m.Command)}</code></li>"));
        html.Append(F($"<li>Load: {E(string.Join(", then ", m.LoadSimulations))}</li>"));
        html.Append(F($"<li>Targets: {E(string.Join(", ", m.Targets))}</li>"));
        html.Append(F($"<li>Processes: {m.Processes}; source addresses: {E(m.SourceAddresses.Count == 0 ? "OS default" : string.Join(", ", m.SourceAddresses))}</li>"));
        html.Append(F($"<li>Machine: {E(m.Machine.Cpu)}, {m.Machine.Cores} cores, {m.Machine.MemoryGiB} GiB, {E(m.Machine.Os)}, {E(m.Machine.Runtime)}; load average {E(m.Machine.LoadAverage)}</li>"));
        html.Append("</ul><h2>Summary</h2><table><tr>");
        foreach (var h in new[] { "step", "ok", "failed", "RPS", "min", "mean", "p50", "p75", "p95", "p99", "p99.9", "max", "sent", "received" })
            html.Append(F($"<th>{h}</th>"));
        html.Append("</tr>");
        foreach (var s in all)
        {
            var l = s.Latency;
            html.Append(F($"<tr><td>{E(s == report.Iterations ? s.Name + " (iteration)" : s.Name)}</td><td>{s.Ok}</td>"));
            html.Append(F($"<td{(s.Failed > 0 ? " class=\"bad\"" : "")}>{s.Failed}</td><td>{s.OkPerSecond:0.0}</td>"));
            foreach (var v in new[] { l.MinMs, l.MeanMs, l.P50Ms, l.P75Ms, l.P95Ms, l.P99Ms, l.P999Ms, l.MaxMs })
                html.Append(F($"<td>{StatsReport.Ms(v)}</td>"));
            html.Append(F($"<td>{Progress.ProgressSinks.Bytes(s.BytesSent)}</td><td>{Progress.ProgressSinks.Bytes(s.BytesReceived)}</td></tr>"));
        }
        html.Append("</table><p>Latencies in milliseconds, of successful executions only.</p>");

        var errors = all.SelectMany(s => s.Errors.Select(e => (s.Name, e.Code, e.Count)))
            .Concat(report.CopyInitFailures.Select(e => ("copy init", e.Key, e.Value))).ToList();
        if (errors.Count > 0)
        {
            html.Append("<h2>Errors</h2><table><tr><th>where</th><th>error code</th><th>count</th></tr>");
            foreach (var (where, code, count) in errors) html.Append(F($"<tr><td>{E(where)}</td><td><code>{E(code)}</code></td><td>{count}</td></tr>"));
            html.Append("</table>");
        }

        html.Append("<h2>Charts</h2>");
        var series = report.Iterations.TimeSeries;
        html.Append(SvgChart.Lines("Throughput over time", "seconds", "per second",
        [
            new("ok/s (iterations)", Palette[0], series.Select(p => ((double)p.Second, p.OkPerSecond)).ToList()),
            new("failed/s", Palette[3], series.Select(p => ((double)p.Second, p.LengthSeconds > 0 ? p.Failed / p.LengthSeconds : 0)).ToList()),
            .. report.Steps.Count > 1
                ? report.Steps.Select((s, i) => new SvgChart.Series($"{s.Name} ok/s", Palette[(i + 4) % Palette.Length], s.TimeSeries.Select(p => ((double)p.Second, p.OkPerSecond)).ToList()))
                : [],
        ]));
        html.Append(SvgChart.Lines("Latency over time (iterations)", "seconds", "milliseconds",
        [
            new("p50", Palette[0], series.Select(p => ((double)p.Second, p.P50Ms)).ToList()),
            new("p95", Palette[1], series.Select(p => ((double)p.Second, p.P95Ms)).ToList()),
            new("p99", Palette[3], series.Select(p => ((double)p.Second, p.P99Ms)).ToList()),
        ]));
        string[] categories = ["p50", "p75", "p95", "p99", "p99.9", "max"];
        html.Append(SvgChart.Bars("Latency percentiles", "milliseconds", categories,
            all.Select((s, i) => new SvgChart.Series(s == report.Iterations ? s.Name + " (iteration)" : s.Name, Palette[i % Palette.Length],
                new[] { s.Latency.P50Ms, s.Latency.P75Ms, s.Latency.P95Ms, s.Latency.P99Ms, s.Latency.P999Ms, s.Latency.MaxMs }
                    .Select((v, k) => ((double)k, v)).ToList())).ToList()));
        html.Append(SvgChart.Lines("Active copies over time", "seconds", "copies",
            [new("copies", Palette[2], series.Select(p => ((double)p.Second, (double)p.ActiveCopies)).ToList())]));
        html.Append("</body></html>");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
