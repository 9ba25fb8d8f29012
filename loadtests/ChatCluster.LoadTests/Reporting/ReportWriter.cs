using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace ChatCluster.LoadTests.Reporting;

public static class ReportWriter
{
    public static string DefaultFolder(string scenario, string? label = null) =>
        Path.Combine("reports", $"{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{scenario}{(label is null ? "" : "-" + label)}");

    /// <summary>Writes report.md, report.json and report.html into <paramref name="folder"/>.</summary>
    public static async Task WriteAsync(RunReport report, string folder)
    {
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.md"), MarkdownReport.Render(report));
        await File.WriteAllTextAsync(Path.Combine(folder, "report.json"), JsonSerializer.Serialize(report, ReportJson.Indented));
        await File.WriteAllTextAsync(Path.Combine(folder, "report.html"), HtmlReport.Render(report));
    }

    public static RunReport Read(string folder) =>
        JsonSerializer.Deserialize<RunReport>(File.ReadAllText(Path.Combine(folder, "report.json")), ReportJson.Options)
        ?? throw new InvalidDataException($"{folder}/report.json is empty.");

    /// <summary>The summary table printed at the end of a run.</summary>
    public static void PrintSummary(RunReport report, IAnsiConsole console)
    {
        // Redirected output (CI logs) reports 80 columns; a 14-column table needs more to stay readable.
        if (Console.IsOutputRedirected && console.Profile.Width < 180) console.Profile.Width = 180;
        var table = new Table().Border(TableBorder.Rounded)
            .Title(Markup.Escape($"{report.Meta.Title}: {report.Meta.DurationSeconds:0.#} s, {string.Join(" → ", report.Meta.LoadSimulations)}"));
        foreach (var column in new[] { "step", "ok", "failed", "RPS", "min", "mean", "p50", "p75", "p95", "p99", "p99.9", "max", "sent", "received" })
            table.AddColumn(column == "step" ? new TableColumn(column) : new TableColumn(column).RightAligned());
        foreach (var s in report.Steps.Prepend(report.Iterations))
        {
            var l = s.Latency;
            table.AddRow(
                Markup.Escape(s == report.Iterations ? s.Name + " (iteration)" : s.Name),
                s.Ok.ToString(CultureInfo.InvariantCulture),
                s.Failed == 0 ? "0" : $"[red]{s.Failed}[/]",
                s.OkPerSecond.ToString("0.0", CultureInfo.InvariantCulture),
                StatsReport.Ms(l.MinMs), StatsReport.Ms(l.MeanMs), StatsReport.Ms(l.P50Ms), StatsReport.Ms(l.P75Ms),
                StatsReport.Ms(l.P95Ms), StatsReport.Ms(l.P99Ms), StatsReport.Ms(l.P999Ms), StatsReport.Ms(l.MaxMs),
                Progress.ProgressSinks.Bytes(s.BytesSent), Progress.ProgressSinks.Bytes(s.BytesReceived));
        }
        console.Write(table);
        console.MarkupLine("[grey]latencies in ms (successful executions only)[/]");
        foreach (var s in report.Steps.Prepend(report.Iterations).Where(s => s.Errors.Count > 0))
            console.MarkupLine(Markup.Escape($"errors in {s.Name}: {string.Join(", ", s.Errors.Select(e => $"{e.Code} ×{e.Count}"))}"));
        foreach (var (code, count) in report.CopyInitFailures)
            console.MarkupLine(Markup.Escape($"copy init failures: {code} ×{count}"));
        if (report.Prewarm is { } prewarm)
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"prewarm: {prewarm.Copies} copies in {prewarm.Seconds:0.#} s ({prewarm.CopiesPerSecond:0.#}/s)")));
        foreach (var c in report.Counters)
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{c.Name}: {c.Total} ({c.PerIteration:0.###} per message)")));
        foreach (var t in report.Target)
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{t.Source}: {t.Name} = {t.Value:0.##} {t.Unit}")));
    }
}
