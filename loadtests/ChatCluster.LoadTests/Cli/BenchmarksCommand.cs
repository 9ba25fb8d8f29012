using ChatCluster.LoadTests.Reporting;
using ChatCluster.LoadTests.Scenarios;
using Spectre.Console;

namespace ChatCluster.LoadTests.Cli;

/// <summary>
/// `benchmarks`: runs the suite (each entry with its own freshly started server) with the same load, then
/// rewrites docs/benchmarks.md from the reports. `--from-reports` rebuilds the document from earlier runs.
/// </summary>
public static class BenchmarksCommand
{
    /// <summary>The suite, in order; the first two are the baselines others are compared with. Add ChatCluster runs here.</summary>
    public static IReadOnlyList<(string Label, string Scenario, string[] Arguments)> Suite { get; } =
    [
        (BenchmarksDocument.RelayLabel, "relay", ["--baseline", "relay"]),
        (BenchmarksDocument.SignalRLabel, "relay", ["--baseline", "signalr"]),
    ];

    public static async Task<int> ExecuteAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var document = "docs/benchmarks.md";
        string? fromReports = null;
        var shared = new List<string>();
        var defaults = new Dictionary<string, string> { ["--duration"] = "20s", ["--pairs"] = "50", ["--rate"] = "1000", ["--warm-up"] = "5s" };
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--write-benchmarks" when i + 1 < args.Count: document = args[++i]; break;
                case "--from-reports" when i + 1 < args.Count: fromReports = args[++i]; break;
                case "--report-folder": throw new UsageException("benchmarks: each run gets its own folder under reports/.");
                default:
                    if (defaults.ContainsKey(args[i])) defaults.Remove(args[i]);
                    shared.Add(args[i]);
                    break;
            }
        }
        foreach (var (name, value) in defaults) shared.AddRange([name, value]);
        var command = "dotnet run -c Release --project loadtests/ChatCluster.LoadTests -- benchmarks " + string.Join(' ', args);

        var runs = new List<(string Label, RunReport Report)>();
        if (fromReports is not null)
        {
            var folders = fromReports.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (folders.Length != Suite.Count) throw new UsageException($"--from-reports needs {Suite.Count} folders, in suite order: {string.Join(", ", Suite.Select(s => s.Label))}.");
            runs.AddRange(Suite.Select((entry, i) => (entry.Label, ReportWriter.Read(folders[i]))));
        }
        else
        {
            var stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
            foreach (var (label, scenarioName, arguments) in Suite)
            {
                var definition = ScenarioCatalog.Find(scenarioName) ?? throw new InvalidOperationException($"Suite names unknown scenario {scenarioName}.");
                var settings = CommandLine.Parse(definition, [.. arguments, .. shared]) with
                {
                    ReportFolder = Path.Combine("reports", $"benchmarks-{stamp}", label.Replace(' ', '-')),
                };
                AnsiConsole.MarkupLine($"[bold]benchmark:[/] {Markup.Escape(label)}");
                var outcome = await RunCommand.ExecuteAsync(definition, settings, cancellationToken);
                runs.Add((label, outcome.Report));
            }
        }
        await BenchmarksDocument.WriteAsync(document, runs, command);
        AnsiConsole.MarkupLine($"rewrote [bold]{Markup.Escape(document)}[/]");
        return 0;
    }
}
