using System.Globalization;
using ChatCluster.LoadTests.Ceiling;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Progress;
using ChatCluster.LoadTests.Reporting;
using ChatCluster.LoadTests.Scenarios;
using Spectre.Console;

namespace ChatCluster.LoadTests.Cli;

/// <summary>
/// `ceiling &lt;relay|chat&gt; [--start 500] [--factor 1.5] [--step-duration 10s] [--max-rate 40000] [--stop-after 2]
/// [--label text] [scenario options]`: the sustained-ceiling search (issue 12 item 5). Defaults for the search:
/// --step-timeout 5s (a message not acknowledged and delivered within 5 s failed), --warm-up 5s, plain progress.
/// </summary>
public static class CeilingCommand
{
    public static async Task<int> ExecuteAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var outcome = await RunAsync(args, cancellationToken);
        return outcome.Report.SustainedCeiling is null ? 1 : 0;
    }

    public static async Task<(CeilingReport Report, string? Folder)> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken, string? defaultLabel = null)
    {
        if (args.Count == 0 || ScenarioCatalog.Find(args[0]) is not { } definition || definition.Name is not ("relay" or "chat"))
            throw new UsageException("ceiling: name the scenario to search, relay or chat (e.g. `ceiling chat --encoding msgpack --pairs 400`).");
        var plan = CeilingPlan.Default;
        string? label = defaultLabel, folder = null;
        var writeReport = true;
        var rest = new List<string>();
        for (var i = 1; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--start": plan = plan with { Start = Number(Value(), "start") }; break;
                case "--factor": plan = plan with { Factor = Number(Value(), "factor") }; break;
                case "--max-rate": plan = plan with { MaxRate = Number(Value(), "max-rate") }; break;
                case "--stop-after": plan = plan with { StopAfter = (int)Number(Value(), "stop-after") }; break;
                case "--step-duration": plan = plan with { StepDuration = CommandLine.Time(Value(), "step-duration", max: TimeSpan.FromMinutes(5)) }; break;
                case "--label": label = Value(); break;
                case "--report-folder": folder = Value(); break;
                case "--no-report": writeReport = false; break;
                case "--duration" or "--rate" or "--ramp-up" or "--concurrency" or "--workers":
                    throw new UsageException($"ceiling: {args[i]} is set by the search (use --start, --factor, --max-rate, --step-duration).");
                default: rest.Add(args[i]); break;
            }
        }
        try { _ = plan.Rates(); }
        catch (ArgumentException ex) { throw new UsageException("ceiling: " + ex.Message); }
        if (!rest.Contains("--step-timeout")) rest.AddRange(["--step-timeout", "5s"]);
        if (!rest.Contains("--warm-up")) rest.AddRange(["--warm-up", "5s"]);
        if (!rest.Contains("--progress")) rest.AddRange(["--progress", "plain"]);
        var settings = CommandLine.Parse(definition, rest) with { CommandLine = ["ceiling", .. args] };
        label ??= definition.Name + " " + string.Join(' ', rest.Where(a => !a.StartsWith("--progress", StringComparison.Ordinal)).Take(4));

        CeilingReport report;
        await using (var progress = ProgressSinks.Create(settings.Progress))
            report = await CeilingSearch.RunAsync(definition, settings, plan, label, progress, cancellationToken);

        if (writeReport)
        {
            folder ??= ReportWriter.DefaultFolder("ceiling-" + definition.Name);
            await CeilingReport.WriteAsync(report, folder);
        }
        if (settings.Progress != ProgressMode.None)
        {
            Console.Out.WriteLine(CeilingReport.StepTable(report.Steps));
            AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{report.Title}: sustained ceiling {(report.SustainedCeiling is { } c ? c.ToString("0", CultureInfo.InvariantCulture) + " msg/s" : "none")}; load average {report.LoadAverageAtStart} → {report.Machine.LoadAverage}")));
            if (folder is not null && writeReport) AnsiConsole.MarkupLine($"report: [link]{Markup.Escape(Path.GetFullPath(folder))}[/]");
        }
        return (report, writeReport ? folder : null);
    }

    private static double Number(string text, string option) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw new UsageException($"--{option}: '{text}' is not a number.");
}
