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

    /// <summary>Open sockets one copy holds; used to refuse a per-process load above the open-files limit.</summary>
    public int SocketsPerCopy { get; init; } = 1;
}
