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
    /// <summary>
    /// The compared suite, in order: the first two are the baselines the others are compared with. Each gets the
    /// same shared load (--pairs, --rate, --duration, --warm-up), so the ratios compare equal offered rates.
    /// </summary>
    public static IReadOnlyList<(string Label, string Scenario, string[] Arguments)> Suite { get; } =
    [
        (BenchmarksDocument.RelayLabel, "relay", ["--baseline", "relay"]),
        (BenchmarksDocument.SignalRLabel, "relay", ["--baseline", "signalr"]),
        ("ChatCluster chat (JSON)", "chat", ["--encoding", "json"]),
        ("ChatCluster chat (MessagePack)", "chat", ["--encoding", "msgpack"]),
    ];

    /// <summary>
    /// Runs after the compared suite, each with its own load (not comparable to a relay), reported in their own
    /// table with the gateway's measurements. "{connections}" and "{workers}" come from --connections and
    /// --connection-workers (default 19000 over 3 worker processes on 6 source addresses).
    /// </summary>
    public static IReadOnlyList<(string Label, string Scenario, string[] Arguments)> Extras { get; } =
    [
        ("ChatCluster connections", "connections", ["--connections", "{connections}", "--workers", "{workers}", "--source-addresses", "127.0.0.2-127.0.0.7", "--ping-interval", "20", "--duration", "30s"]),
        ("ChatCluster connections (workstation GC)", "connections", ["--connections", "{connections}", "--workers", "{workers}", "--source-addresses", "127.0.0.2-127.0.0.7", "--ping-interval", "20", "--duration", "30s", "--gateway-gc", "workstation"]),
        ("ChatCluster presence", "presence", ["--agents", "20", "--rate", "200", "--warm-up", "5s", "--duration", "20s"]),
        ("ChatCluster retention", "retention", ["--concurrency", "50", "--retention", "5", "--duration", "30s"]),
    ];

    public static async Task<int> ExecuteAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var document = "docs/benchmarks.md";
        string? fromReports = null;
        var shared = new List<string>();
        var defaults = new Dictionary<string, string> { ["--duration"] = "20s", ["--pairs"] = "50", ["--rate"] = "1000", ["--warm-up"] = "5s" };
        var (connections, connectionWorkers, withExtras) = ("19000", "3", true);
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--write-benchmarks" when i + 1 < args.Count: document = args[++i]; break;
                case "--from-reports" when i + 1 < args.Count: fromReports = args[++i]; break;
                case "--connections" when i + 1 < args.Count: connections = args[++i]; break;
                case "--connection-workers" when i + 1 < args.Count: connectionWorkers = args[++i]; break;
                case "--compared-only": withExtras = false; break;
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
        var extras = new List<(string Label, RunReport Report)>();
        if (fromReports is not null)
        {
            var folders = fromReports.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (folders.Length != Suite.Count && folders.Length < Suite.Count + Extras.Count)
                throw new UsageException($"--from-reports needs {Suite.Count} (or {Suite.Count + Extras.Count} and more) folders, in suite order: {string.Join(", ", Suite.Concat(Extras).Select(s => s.Label))}, then any other runs.");
            runs.AddRange(Suite.Select((entry, i) => (entry.Label, ReportWriter.Read(folders[i]))));
            extras.AddRange(Extras.Take(folders.Length - Suite.Count).Select((entry, i) => (entry.Label, ReportWriter.Read(folders[Suite.Count + i]))));
            // Runs the suite cannot start itself (e.g. presence across two cluster-mode gateways), labelled by their title.
            extras.AddRange(folders.Skip(Suite.Count + Extras.Count).Select(ReportWriter.Read).Select(report => (report.Meta.Title, report)));
        }
        else
        {
            var stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
            foreach (var (label, scenarioName, arguments) in Suite)
                runs.Add((label, await RunAsync(label, scenarioName, [.. arguments, .. shared], stamp, cancellationToken)));
            if (withExtras)
            {
                foreach (var (label, scenarioName, arguments) in Extras)
                {
                    var resolved = arguments.Select(a => a.Replace("{connections}", connections).Replace("{workers}", connectionWorkers)).ToArray();
                    extras.Add((label, await RunAsync(label, scenarioName, resolved, stamp, cancellationToken)));
                }
            }
        }
        await BenchmarksDocument.WriteAsync(document, runs, command, extras);
        AnsiConsole.MarkupLine($"rewrote [bold]{Markup.Escape(document)}[/]");
        return 0;
    }

    private static async Task<RunReport> RunAsync(string label, string scenarioName, string[] arguments, string stamp, CancellationToken cancellationToken)
    {
        var definition = ScenarioCatalog.Find(scenarioName) ?? throw new InvalidOperationException($"Suite names unknown scenario {scenarioName}.");
        var settings = CommandLine.Parse(definition, arguments) with
        {
            ReportFolder = Path.Combine("reports", $"benchmarks-{stamp}", label.Replace(' ', '-').Replace("(", "").Replace(")", "")),
        };
        AnsiConsole.MarkupLine($"[bold]benchmark:[/] {Markup.Escape(label)}");
        return (await RunCommand.ExecuteAsync(definition, settings, cancellationToken)).Report;
    }
}
