using System.Globalization;
using System.Text.Json;
using ChatCluster.LoadTests.Drill;
using ChatCluster.LoadTests.Gateway;
using ChatCluster.LoadTests.Reporting;

namespace ChatCluster.LoadTests.Cli;

/// <summary>`drill [--pairs 30] [--interval 200ms] [--kill busiest|1|2] [--before 10s] [--observe 30s] [--trials 1] [--encoding json] [--postgres …] [--report-folder dir]`.</summary>
public static class DrillCommand
{
    public static async Task<int> ExecuteAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var (report, _) = await RunAsync(args, Console.Out.WriteLine, cancellationToken);
        var bar = report.Trials.All(t => t.WithinBar == t.RecoverySeconds.Count) && report.AckedMissingAtReceiver == 0 && report.AckedMissingAtSender == 0 && report.Duplicates == 0;
        return bar ? 0 : 1;
    }

    public static async Task<(DrillReport Report, string? Folder)> RunAsync(IReadOnlyList<string> args, Action<string> log, CancellationToken cancellationToken)
    {
        var options = new DrillOptions();
        string? folder = null;
        var write = true;
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--pairs": options = options with { Pairs = Whole(Value(), "pairs") }; break;
                case "--interval": options = options with { Interval = CommandLine.Time(Value(), "interval", max: TimeSpan.FromSeconds(10)) }; break;
                case "--kill":
                    var kill = Value();
                    options = options with { Kill = kill == "busiest" || int.TryParse(kill, out _) ? kill : throw new UsageException("--kill must be busiest or a silo number (1, 2).") };
                    break;
                case "--before": options = options with { Before = CommandLine.Time(Value(), "before", max: TimeSpan.FromMinutes(5)) }; break;
                case "--observe": options = options with { Observe = CommandLine.Time(Value(), "observe", max: TimeSpan.FromMinutes(5)) }; break;
                case "--ack-timeout": options = options with { AckTimeout = CommandLine.Time(Value(), "ack-timeout", max: TimeSpan.FromMinutes(2)) }; break;
                case "--trials": options = options with { Trials = Whole(Value(), "trials") }; break;
                case "--encoding": options = options with { Encoding = WireCodec.Parse(Value()) }; break;
                case "--postgres": options = options with { Postgres = Value() }; break;
                case "--report-folder": folder = Value(); break;
                case "--no-report": write = false; break;
                default: throw new UsageException($"drill: unexpected '{args[i]}'.");
            }
        }
        var command = "dotnet run -c Release --project loadtests/ChatCluster.LoadTests -- drill " + string.Join(' ', args);
        var report = await SiloKillDrill.RunAsync(options, log, command, cancellationToken);
        var markdown = DrillMarkdown.Render(report);
        log(markdown);
        if (write)
        {
            folder ??= ReportWriter.DefaultFolder("drill");
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, "drill.md"), markdown, CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(folder, "drill.json"), JsonSerializer.Serialize(report, ReportJson.Indented), CancellationToken.None);
            log("report: " + Path.GetFullPath(folder));
        }
        return (report, write ? folder : null);
    }

    private static int Whole(string text, string option) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new UsageException($"--{option} must be a whole number above zero.");
}
