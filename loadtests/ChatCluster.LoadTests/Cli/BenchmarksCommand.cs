using ChatCluster.LoadTests.Reporting;
using ChatCluster.LoadTests.Scenarios;
using Spectre.Console;

namespace ChatCluster.LoadTests.Cli;

/// <summary>
/// `benchmarks`: runs the suite (a ceiling search per target, each with its own freshly started server, all with
/// the same pairs and steps), then the extras, then rewrites docs/benchmarks.md from the reports. `--from-reports` rebuilds the document from earlier runs.
/// </summary>
public static class BenchmarksCommand
{
    /// <summary>
    /// The compared suite: a sustained-ceiling search (`ceiling`) per target, every one with the same pairs, steps and
    /// criteria, so the ratios are ratios of ceilings measured the same way (issue 12 item 5, issue 13 item 8). The
    /// first two are the baselines. The chat rows spread pairs 20 per tenant, except the one busy tenant (all pairs in one).
    /// </summary>
    public static IReadOnlyList<(string Label, string Scenario, string[] Arguments)> Suite { get; } =
    [
        (BenchmarksDocument.RelayLabel, "relay", ["--baseline", "relay"]),
        (BenchmarksDocument.SignalRLabel, "relay", ["--baseline", "signalr"]),
        ("ChatCluster chat (JSON)", "chat", ["--encoding", "json"]),
        ("ChatCluster chat (MessagePack)", "chat", ["--encoding", "msgpack"]),
        ("ChatCluster chat (MessagePack, one busy tenant)", "chat", ["--encoding", "msgpack", "--pairs-per-tenant", "all"]),
        ("ChatCluster chat on PostgreSQL (MessagePack)", "chat", ["--encoding", "msgpack", "--target", "postgres"]),
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
        string[]? only = null;
        var defaults = new Dictionary<string, string> { ["--pairs"] = "400", ["--start"] = "500", ["--factor"] = "1.5", ["--step-duration"] = "10s", ["--max-rate"] = "40000", ["--warm-up"] = "5s" };
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
                case "--only" when i + 1 < args.Count: only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--report-folder": throw new UsageException("benchmarks: each run gets its own folder under reports/.");
                default:
                    if (defaults.ContainsKey(args[i])) defaults.Remove(args[i]);
                    shared.Add(args[i]);
                    break;
            }
        }
        foreach (var (name, value) in defaults) shared.AddRange([name, value]);
        var command = "dotnet run -c Release --project loadtests/ChatCluster.LoadTests -- benchmarks " + string.Join(' ', args);

        var ceilings = new List<Ceiling.CeilingReport>();
        var extras = new List<(string Label, RunReport Report)>();
        if (fromReports is not null)
        {
            var folders = fromReports.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (folders.Length != Suite.Count && folders.Length < Suite.Count + Extras.Count)
                throw new UsageException($"--from-reports needs {Suite.Count} (or {Suite.Count + Extras.Count} and more) folders, in suite order: {string.Join(", ", Suite.Concat(Extras).Select(s => s.Label))}, then any other runs.");
            ceilings.AddRange(Suite.Select((entry, i) => Ceiling.CeilingReport.Read(folders[i]) with { Label = entry.Label }));
            extras.AddRange(Extras.Take(folders.Length - Suite.Count).Select((entry, i) => (entry.Label, ReportWriter.Read(folders[Suite.Count + i]))));
            // Runs the suite cannot start itself (e.g. presence across two cluster-mode gateways), labelled by their title.
            extras.AddRange(folders.Skip(Suite.Count + Extras.Count).Select(ReportWriter.Read).Select(report => (report.Meta.Title, report)));
        }
        else
        {
            var stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture);
            // --only relay,SignalR,MessagePack: the entries whose label contains one of the words (e.g. a shorter comparison).
            foreach (var (label, scenarioName, arguments) in Suite.Where(e => only is null || only.Any(o => e.Label.Contains(o, StringComparison.OrdinalIgnoreCase))))
            {
                AnsiConsole.MarkupLine($"[bold]benchmark:[/] {Markup.Escape(label)} (ceiling search)");
                var (ceiling, _) = await CeilingCommand.RunAsync(
                    [scenarioName, .. arguments, .. shared, "--report-folder", Path.Combine("reports", $"benchmarks-{stamp}", Folder(label))], cancellationToken, label);
                ceilings.Add(ceiling);
            }
            if (withExtras)
            {
                foreach (var (label, scenarioName, arguments) in Extras)
                {
                    var resolved = arguments.Select(a => a.Replace("{connections}", connections).Replace("{workers}", connectionWorkers)).ToArray();
                    extras.Add((label, await RunAsync(label, scenarioName, resolved, stamp, cancellationToken)));
                }
            }
        }
        await BenchmarksDocument.WriteAsync(document, [], command, extras, ceilings);
        AnsiConsole.MarkupLine($"rewrote [bold]{Markup.Escape(document)}[/]");
        return 0;
    }

    private static string Folder(string label) => label.Replace(' ', '-').Replace("(", "").Replace(")", "").Replace(",", "");

    private static async Task<RunReport> RunAsync(string label, string scenarioName, string[] arguments, string stamp, CancellationToken cancellationToken)
    {
        var definition = ScenarioCatalog.Find(scenarioName) ?? throw new InvalidOperationException($"Suite names unknown scenario {scenarioName}.");
        var settings = CommandLine.Parse(definition, arguments) with
        {
            ReportFolder = Path.Combine("reports", $"benchmarks-{stamp}", Folder(label)),
        };
        AnsiConsole.MarkupLine($"[bold]benchmark:[/] {Markup.Escape(label)}");
        return (await RunCommand.ExecuteAsync(definition, settings, cancellationToken)).Report;
    }
}
