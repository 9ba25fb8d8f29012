namespace ChatCluster.LoadTests.Model;

/// <summary>
/// A scenario is code: its steps run once per iteration on a "copy" (a virtual user holding its own
/// state, e.g. open sockets), driven by the load simulations. Describe the WHOLE load here; when a run is
/// spread over worker processes the runner gives each worker its share of copies and rates.
/// </summary>
public sealed record Scenario(string Name, IReadOnlyList<Step> Steps)
{
    /// <summary>Once per process before any copy exists (e.g. fetch a token, create a tenant).</summary>
    public Func<ScenarioContext, Task>? Init { get; init; }

    /// <summary>How long <see cref="Init"/> may take (default 1 minute); creating many tenants needs more.</summary>
    public TimeSpan? InitBudget { get; init; }

    /// <summary>
    /// Read at the end of a run (or of each step of a staircase): what the scenario counted besides its steps, e.g.
    /// frames received per role and type. Counts since the previous read; they go into the report as totals and per iteration.
    /// </summary>
    public Func<Task<Dictionary<string, long>>>? ReadCounters { get; init; }

    /// <summary>Once per process after every copy was cleaned.</summary>
    public Func<ScenarioContext, Task>? Clean { get; init; }

    /// <summary>Once per copy before its first iteration (e.g. open its sockets). Not measured as a step.</summary>
    public Func<CopyContext, CancellationToken, Task>? InitCopy { get; init; }

    /// <summary>Once per copy at the end of the run (e.g. close its sockets).</summary>
    public Func<CopyContext, Task>? CleanCopy { get; init; }

    public IReadOnlyList<LoadSimulation> LoadSimulations { get; init; } = [];

    /// <summary>Copies initialised before the clock starts, so connection set-up is not in the measured window.</summary>
    public int PrewarmCopies { get; init; }

    /// <summary>How long prewarm may take before the run starts with fewer copies (default 2 minutes); thousands of connections need more.</summary>
    public TimeSpan? PrewarmBudget { get; init; }

    /// <summary>Upper bound of copies an open-model (inject) simulation may create; an injection finding none free fails as "no_free_copy".</summary>
    public int MaxCopies { get; init; } = 1_000;

    /// <summary>
    /// Open model only: iterations that may run on one copy at the same time (e.g. chat messages in flight on one
    /// pair). Above 1 the steps must be safe to run concurrently on one copy's state. The closed model always runs one.
    /// </summary>
    public int MaxInFlightPerCopy { get; init; } = 1;

    /// <summary>Open sockets one copy holds; used to refuse a per-process load above the open-files limit.</summary>
    public int SocketsPerCopy { get; init; } = 1;
}
