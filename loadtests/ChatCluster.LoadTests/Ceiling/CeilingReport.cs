using System.Globalization;
using System.Text;
using System.Text.Json;
using ChatCluster.LoadTests.Reporting;

namespace ChatCluster.LoadTests.Ceiling;

/// <summary>A ceiling search against one target: every step and the sustained ceiling (null when no step was sustained).</summary>
public sealed record CeilingReport(
    string Label,
    string Title,
    string Command,
    DateTimeOffset StartedUtc,
    string LoadAverageAtStart,
    MachineInfo Machine,
    string Plan,
    string Criteria,
    Dictionary<string, string> Options,
    List<CeilingStep> Steps,
    List<TargetMeasurement> Target)
{
    /// <summary>The highest offered rate whose step was sustained.</summary>
    public double? SustainedCeiling => Steps.Where(s => s.Sustained).Select(s => (double?)s.OfferedPerSecond).Max();

    /// <summary>The step at the sustained ceiling.</summary>
    public CeilingStep? AtCeiling => Steps.Where(s => s.Sustained).MaxBy(s => s.OfferedPerSecond);

    public const string FileName = "ceiling.json";

    public static async Task WriteAsync(CeilingReport report, string folder)
    {
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, FileName), JsonSerializer.Serialize(report, ReportJson.Indented));
        await File.WriteAllTextAsync(Path.Combine(folder, "ceiling.md"), Markdown(report));
    }

    public static CeilingReport Read(string folder) =>
        JsonSerializer.Deserialize<CeilingReport>(File.ReadAllText(Path.Combine(folder, FileName)), ReportJson.Options)
        ?? throw new InvalidDataException($"{folder}/{FileName} is empty.");

    public static string Markdown(CeilingReport report)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Ceiling search: {report.Title}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Command: `{report.Command}`");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Started {report.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC; load average at start {report.LoadAverageAtStart}, at end {report.Machine.LoadAverage}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Steps: {report.Plan}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Sustained: {report.Criteria}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Options: {string.Join(", ", report.Options.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={o.Value}"))}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"**Sustained ceiling: {(report.SustainedCeiling is { } c ? c.ToString("0", CultureInfo.InvariantCulture) + " msg/s" : "none (no step was sustained)")}**");
        md.AppendLine();
        md.Append(StepTable(report.Steps));
        if (report.Target.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("| source | measurement | value |");
            md.AppendLine("| --- | --- | ---: |");
            foreach (var t in report.Target) md.AppendLine(CultureInfo.InvariantCulture, $"| {t.Source} | {t.Name} | {t.Value:0.##} {t.Unit} |");
        }
        return md.ToString();
    }

    public static string StepTable(IReadOnlyList<CeilingStep> steps)
    {
        var md = new StringBuilder();
        md.AppendLine("| offered msg/s | delivered msg/s | failed % | p50 ms | p99 ms | p50 first → last third ms | sustained | why not / errors | frames per message |");
        md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | :---: | --- | --- |");
        foreach (var s in steps)
        {
            var errors = string.Join(", ", s.Errors.Select(e => $"`{e.Code}` ×{e.Count}"));
            var why = string.Join("; ", s.Reasons.Concat(errors.Length > 0 ? [errors] : []));
            var frames = string.Join(", ", s.Counters.Where(c => c.PerIteration >= 0.01).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Name.Replace(Gateway.FrameCounts.Prefix, "")} {c.PerIteration:0.##}")));
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.OfferedPerSecond:0} | {s.DeliveredPerSecond:0} | {s.FailedPercent:0.###} | {StatsReport.Ms(s.P50Ms)} | {StatsReport.Ms(s.P99Ms)} | {StatsReport.Ms(s.FirstThirdP50Ms)} → {StatsReport.Ms(s.LastThirdP50Ms)} | {(s.Sustained ? "yes" : "no")} | {why} | {frames} |");
        }
        return md.ToString();
    }
}
