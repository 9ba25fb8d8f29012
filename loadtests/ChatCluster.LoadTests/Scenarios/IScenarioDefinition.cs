using ChatCluster.LoadTests.Model;

namespace ChatCluster.LoadTests.Scenarios;

/// <summary>An option only one scenario understands, e.g. <c>--pairs 50</c>.</summary>
public sealed record ScenarioOption(string Name, string Description, string Default);

/// <summary>
/// A named, runnable scenario. Register an implementation in <see cref="ScenarioCatalog.All"/> and it is
/// listed by --help, runnable as <c>loadtests &lt;name&gt;</c>, spread over workers and reported like the others.
/// </summary>
public interface IScenarioDefinition
{
    string Name { get; }

    string Description { get; }

    IReadOnlyList<ScenarioOption> Options { get; }

    /// <summary>
    /// Called once per run in the coordinating process before any load: returns the target URLs, starting a
    /// server on this machine when none was given (e.g. a baseline, or the embedded ChatCluster default).
    /// </summary>
    Task<TargetLease> ProvideTargetsAsync(RunSettings settings, CancellationToken cancellationToken);

    /// <summary>Builds the scenario for the whole load; in a worker, <paramref name="settings"/> carries its index and count.</summary>
    Scenario Build(RunSettings settings);
}

/// <summary>Targets for a run, and whatever was started to provide them (stopped when the lease is disposed).</summary>
public sealed class TargetLease(IReadOnlyList<Uri> urls, string label, IAsyncDisposable? owner = null) : IAsyncDisposable
{
    public IReadOnlyList<Uri> Urls { get; } = urls;

    /// <summary>Names the target in report titles, e.g. "SignalR baseline".</summary>
    public string Label { get; } = label;

    /// <summary>Scenario options the run needs because of what was started (e.g. a generated operator key); workers get them too.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>Called once after the load: what the target itself reported (e.g. the gateway's memory per connection).</summary>
    public Func<Task<List<Reporting.TargetMeasurement>>>? Measure { get; init; }

    public ValueTask DisposeAsync() => owner?.DisposeAsync() ?? ValueTask.CompletedTask;
}

public static class ScenarioCatalog
{
    /// <summary>Every runnable scenario. Add new ones here.</summary>
    public static IReadOnlyList<IScenarioDefinition> All { get; } = [new RelayScenario(), new ConnectionsScenario(), new ChatScenario(), new PresenceScenario(), new RetentionScenario()];

    public static IScenarioDefinition? Find(string name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The usual translation of --rate / --concurrency / --ramp-up / --duration into simulations.</summary>
    public static IReadOnlyList<LoadSimulation> DefaultLoad(RunSettings settings, int defaultCopies)
    {
        var steady = settings.Duration - settings.RampUp;
        var plan = new List<LoadSimulation>();
        if (settings.Rate is { } rate)
        {
            if (settings.RampUp > TimeSpan.Zero) plan.Add(LoadSimulation.RampingInject(rate, TimeSpan.FromSeconds(1), settings.RampUp));
            plan.Add(LoadSimulation.Inject(rate, TimeSpan.FromSeconds(1), steady));
        }
        else
        {
            var copies = settings.Concurrency ?? defaultCopies;
            if (settings.RampUp > TimeSpan.Zero) plan.Add(LoadSimulation.RampConstant(copies, settings.RampUp));
            plan.Add(LoadSimulation.KeepConstant(copies, steady));
        }
        return plan;
    }
}
