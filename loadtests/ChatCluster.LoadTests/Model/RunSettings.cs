using System.Globalization;
using System.Net;

namespace ChatCluster.LoadTests.Model;

public enum ProgressMode { Auto, Live, Plain, None, Worker }

/// <summary>
/// Everything a run was asked to do, parsed from the command line. Scenario-specific options
/// (declared by each <see cref="Scenarios.IScenarioDefinition"/>) are in <see cref="ScenarioOptions"/>.
/// </summary>
public sealed record RunSettings
{
    public required string Scenario { get; init; }
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RampUp { get; init; } = TimeSpan.Zero;

    /// <summary>Load run before the measured window and then discarded (JIT, pools, caches); not part of --duration.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.Zero;

    /// <summary>Open model: iterations per second for the whole run (all workers together).</summary>
    public double? Rate { get; init; }

    /// <summary>Closed model: copies looping back to back (all workers together).</summary>
    public int? Concurrency { get; init; }

    public IReadOnlyList<Uri> Urls { get; init; } = [];
    public string? ReportFolder { get; init; }
    public bool WriteReport { get; init; } = true;
    public int Workers { get; init; } = 1;
    public IReadOnlyList<IPAddress> SourceAddresses { get; init; } = [];
    public long MaxIterations { get; init; } = RunLimits.DefaultMaxIterations;
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public ProgressMode Progress { get; init; } = ProgressMode.Auto;
    public IReadOnlyDictionary<string, string> ScenarioOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>Identifies the run; copy ids (and so pair ids) derive from it.</summary>
    public string RunId { get; init; } = Guid.NewGuid().ToString("N")[..8];

    public int WorkerIndex { get; init; }
    public int WorkerCount { get; init; } = 1;

    /// <summary>Worker mode: where the worker writes its raw statistics for the coordinator.</summary>
    public string? ResultFile { get; init; }

    /// <summary>The arguments as typed, for the report's "how to reproduce" line.</summary>
    public IReadOnlyList<string> CommandLine { get; init; } = [];

    public string Option(string name) =>
        ScenarioOptions.TryGetValue(name, out var value) ? value : throw new InvalidOperationException($"Scenario option --{name} has no value.");

    public int IntOption(string name) => int.Parse(Option(name), CultureInfo.InvariantCulture);

    public double DoubleOption(string name) => double.Parse(Option(name), CultureInfo.InvariantCulture);

    /// <summary>The targets of copy number <paramref name="globalCopyNumber"/>: spreads copies round-robin over the URLs.</summary>
    public Uri TargetFor(long globalCopyNumber) =>
        Urls.Count == 0
            ? throw new InvalidOperationException("No target URL: pass --url or let the scenario start its own target.")
            : Urls[(int)(globalCopyNumber % Urls.Count)];
}

public static class RunLimits
{
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxStepTimeout = TimeSpan.FromSeconds(30);
    public const long DefaultMaxIterations = 50_000_000;
    public const long MaxIterationsCap = 1_000_000_000;
    public const int MaxWorkers = 16;

    /// <summary>A process may hold 20,000 open files here (hard limit); keep room for the runtime's own.</summary>
    public const int MaxSocketsPerProcess = 19_000;
}
