using System.Globalization;
using System.Text;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Network;
using ChatCluster.LoadTests.Scenarios;

namespace ChatCluster.LoadTests.Cli;

public sealed class UsageException(string message) : Exception(message);

/// <summary>Parses the options common to every scenario plus the scenario's own.</summary>
public static class CommandLine
{
    private sealed record Common(string Name, string Value, string Description, Func<RunSettings, string, RunSettings> Apply, bool Hidden = false);

    private static readonly Common[] Options =
    [
        new("duration", "<time>", "total run time including ramp-up (default 10s, max 1h); e.g. 500ms, 20s, 2m",
            (s, v) => s with { Duration = Time(v, "duration") }),
        new("rate", "<n>", "open model: iterations started per second, whole run (e.g. relay messages/s)",
            (s, v) => s with { Rate = Positive(Number(v, "rate"), "rate") }),
        new("concurrency", "<n>", "closed model: copies looping back to back (default: the scenario's)",
            (s, v) => s with { Concurrency = (int)Positive(Integer(v, "concurrency"), "concurrency") }),
        new("ramp-up", "<time>", "ramp from 0 to --rate / --concurrency first (part of --duration; default 0s)",
            (s, v) => s with { RampUp = Time(v, "ramp-up", allowZero: true) }),
        new("warm-up", "<time>", "run the first simulation's full load this long first and discard its numbers (default 0s)",
            (s, v) => s with { WarmUp = Time(v, "warm-up", allowZero: true, max: TimeSpan.FromMinutes(5)) }),
        new("url", "<url>", "target URL, loopback only; repeat or comma-separate for several (copies spread over them)",
            (s, v) => s with { Urls = [.. s.Urls, .. v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Url)] }),
        new("report-folder", "<dir>", "where report.md/json/html go (default reports/<timestamp>-<scenario>)",
            (s, v) => s with { ReportFolder = v }),
        new("no-report", "", "print the summary only, write no files",
            (s, _) => s with { WriteReport = false }),
        new("workers", "<n>", $"worker processes sharing the load (default 1 = in this process; max {RunLimits.MaxWorkers})",
            (s, v) => s with { Workers = (int)Math.Clamp(Positive(Integer(v, "workers"), "workers"), 1, RunLimits.MaxWorkers) }),
        new("source-addresses", "<spec>", "127.0.0.x client source addresses: count '8', range '127.0.0.2-127.0.0.9', or list",
            (s, v) => s with { SourceAddresses = SourceAddressList(v) }),
        new("max-iterations", "<n>", $"hard cap on iterations, whole run (default {RunLimits.DefaultMaxIterations:N0})",
            (s, v) => s with { MaxIterations = Math.Min(Positive(Integer(v, "max-iterations"), "max-iterations"), RunLimits.MaxIterationsCap) }),
        new("step-timeout", "<time>", $"a step running longer fails as 'timeout' (default 10s, max {RunLimits.MaxStepTimeout.TotalSeconds:0}s)",
            (s, v) => s with { StepTimeout = Time(v, "step-timeout", max: RunLimits.MaxStepTimeout) }),
        new("progress", "<mode>", "auto | live | plain | none (auto: live table on a terminal, plain lines otherwise)",
            (s, v) => s with { Progress = Enum.TryParse<ProgressMode>(v, true, out var m) && m != ProgressMode.Worker ? m : throw new UsageException($"--progress must be auto, live, plain or none, not '{v}'.") }),
        // Set by the coordinator for its workers.
        new("run-id", "<id>", "", (s, v) => s with { RunId = v }, Hidden: true),
        new("worker-index", "<i>", "", (s, v) => s with { WorkerIndex = (int)Integer(v, "worker-index") }, Hidden: true),
        new("worker-count", "<n>", "", (s, v) => s with { WorkerCount = (int)Positive(Integer(v, "worker-count"), "worker-count") }, Hidden: true),
        new("result-file", "<path>", "", (s, v) => s with { ResultFile = v }, Hidden: true),
    ];

    public static RunSettings Parse(IScenarioDefinition scenario, IReadOnlyList<string> args, bool workerMode = false)
    {
        var settings = new RunSettings { Scenario = scenario.Name, CommandLine = [scenario.Name, .. args] };
        var scenarioOptions = scenario.Options.ToDictionary(o => o.Name, o => o.Default, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"Unexpected argument '{arg}'.");
            var name = arg[2..];
            string? inline = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0) (name, inline) = (name[..eq], name[(eq + 1)..]);
            var common = Options.FirstOrDefault(o => o.Name.Equals(name, StringComparison.OrdinalIgnoreCase) && (workerMode || !o.Hidden));
            var takesValue = common is null || common.Value.Length > 0;
            var value = inline ?? (takesValue ? (i + 1 < args.Count ? args[++i] : throw new UsageException($"--{name} needs a value.")) : "");
            if (common is not null) settings = common.Apply(settings, value);
            else if (scenarioOptions.ContainsKey(name)) scenarioOptions[name] = value;
            else throw new UsageException($"Unknown option --{name} for scenario '{scenario.Name}'. See --help.");
        }
        settings = settings with { ScenarioOptions = scenarioOptions };
        if (settings.RampUp >= settings.Duration) throw new UsageException("--ramp-up must be shorter than --duration.");
        if (settings.Rate is not null && settings.Concurrency is not null) throw new UsageException("Choose one model: --rate (open) or --concurrency (closed).");
        if (workerMode && settings.ResultFile is null) throw new UsageException("worker mode needs --result-file.");
        return settings;
    }

    /// <summary>The arguments a coordinator gives worker <paramref name="index"/>: the same run, its share marked.</summary>
    public static List<string> WorkerArguments(RunSettings s, int index, string resultFile)
    {
        var args = new List<string>
        {
            "worker", s.Scenario,
            "--duration", Seconds(s.Duration), "--ramp-up", Seconds(s.RampUp), "--warm-up", Seconds(s.WarmUp),
            "--max-iterations", s.MaxIterations.ToString(CultureInfo.InvariantCulture),
            "--step-timeout", Seconds(s.StepTimeout),
            "--run-id", s.RunId, "--worker-index", index.ToString(CultureInfo.InvariantCulture),
            "--worker-count", s.Workers.ToString(CultureInfo.InvariantCulture), "--result-file", resultFile,
        };
        if (s.Rate is { } rate) args.AddRange(["--rate", rate.ToString("R", CultureInfo.InvariantCulture)]);
        if (s.Concurrency is { } concurrency) args.AddRange(["--concurrency", concurrency.ToString(CultureInfo.InvariantCulture)]);
        if (s.Urls.Count > 0) args.AddRange(["--url", string.Join(',', s.Urls)]);
        var sources = SourceAddresses.ShareFor(s.SourceAddresses, index, s.Workers);
        if (sources.Count > 0) args.AddRange(["--source-addresses", SourceAddresses.Format(sources)]);
        foreach (var (name, value) in s.ScenarioOptions) args.AddRange(["--" + name, value]);
        return args;
    }

    public static string Help()
    {
        var text = new StringBuilder();
        text.AppendLine("ChatCluster load tests: an NBomber-style harness (scenarios, steps, load simulations, reports).");
        text.AppendLine();
        text.AppendLine("Usage:");
        text.AppendLine("  dotnet run -c Release --project loadtests/ChatCluster.LoadTests -- <scenario> [options]");
        text.AppendLine("  … -- benchmarks [--duration 20s] [--pairs 50] [--rate 1000] [--write-benchmarks docs/benchmarks.md]");
        text.AppendLine("  … -- benchmarks --from-reports <dir>[,<dir>…] [--write-benchmarks docs/benchmarks.md]");
        text.AppendLine("  … -- ceiling <relay|chat> [--start 500] [--factor 1.5] [--step-duration 10s] [--max-rate 40000] [--stop-after 2] [scenario options]");
        text.AppendLine("                                              sustained-ceiling search: offered rate stepped up open-loop, per-step table");
        text.AppendLine("  … -- drill [--pairs 30] [--interval 200ms] [--kill busiest|1|2] [--observe 30s]  kill -9 a PostgreSQL-mode silo under chat load");
        text.AppendLine("  … -- baseline <relay|signalr> [--port 0]     run a baseline server in the foreground");
        text.AppendLine("  … -- list | --help");
        text.AppendLine();
        text.AppendLine("Scenarios:");
        foreach (var scenario in ScenarioCatalog.All)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {scenario.Name,-14}{scenario.Description}");
            foreach (var option in scenario.Options)
                text.AppendLine(CultureInfo.InvariantCulture, $"      --{option.Name,-22}{option.Description} (default {option.Default})");
        }
        text.AppendLine();
        text.AppendLine("Options (every scenario):");
        foreach (var option in Options.Where(o => !o.Hidden))
            text.AppendLine(CultureInfo.InvariantCulture, $"  --{(option.Name + " " + option.Value).TrimEnd(),-26}{option.Description}");
        text.AppendLine();
        text.AppendLine("Targets must resolve to loopback (127.0.0.0/8 or ::1); anything else is refused.");
        text.AppendLine("Examples:");
        text.AppendLine("  … -- relay --baseline signalr --pairs 50 --rate 1000 --duration 20s");
        text.AppendLine("  … -- relay --pairs 5000 --rate 5000 --workers 2 --source-addresses 127.0.0.2-127.0.0.5");
        return text.ToString();
    }

    public static TimeSpan Time(string text, string option, bool allowZero = false, TimeSpan? max = null)
    {
        var limit = max ?? RunLimits.MaxDuration;
        var t = text.Trim().ToLowerInvariant();
        (string number, double scale) = t switch
        {
            _ when t.EndsWith("ms", StringComparison.Ordinal) => (t[..^2], 0.001),
            _ when t.EndsWith('s') => (t[..^1], 1),
            _ when t.EndsWith('m') => (t[..^1], 60),
            _ when t.EndsWith('h') => (t[..^1], 3600),
            _ => (t, 1),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
            throw new UsageException($"--{option}: '{text}' is not a time (e.g. 500ms, 20s, 2m).");
        var result = TimeSpan.FromSeconds(value * scale);
        if (result < TimeSpan.Zero || (!allowZero && result == TimeSpan.Zero))
            throw new UsageException($"--{option} must be {(allowZero ? "zero or more" : "more than zero")}.");
        if (result > limit) throw new UsageException($"--{option} {text} exceeds the maximum of {limit}.");
        return result;
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("R", CultureInfo.InvariantCulture) + "s";

    private static double Number(string text, string option) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw new UsageException($"--{option}: '{text}' is not a number.");

    private static long Integer(string text, string option) =>
        long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException($"--{option}: '{text}' is not a whole number.");

    private static T Positive<T>(T value, string option) where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new UsageException($"--{option} must be more than zero.");

    private static Uri Url(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : throw new UsageException($"--url: '{text}' is not an absolute URL.");

    private static IReadOnlyList<System.Net.IPAddress> SourceAddressList(string spec)
    {
        try { return SourceAddresses.Parse(spec); }
        catch (FormatException ex) { throw new UsageException("--source-addresses: " + ex.Message); }
    }
}
