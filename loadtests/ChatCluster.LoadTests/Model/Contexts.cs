using System.Collections.Concurrent;
using ChatCluster.LoadTests.Network;

namespace ChatCluster.LoadTests.Model;

/// <summary>Run-wide context of one process: settings, the loopback connector and shared items.</summary>
public sealed class ScenarioContext(RunSettings settings, LoopbackConnector connector, CancellationToken aborted, Action<string> log)
{
    public RunSettings Settings { get; } = settings;

    /// <summary>Opens WebSockets / HTTP handlers bound to this process's 127.0.0.x source addresses.</summary>
    public LoopbackConnector Connector { get; } = connector;

    /// <summary>Signalled when the run is over (time, count, Ctrl+C or coordinator gone).</summary>
    public CancellationToken Aborted { get; } = aborted;

    public ConcurrentDictionary<string, object> Items { get; } = new();

    public void Log(string message) => log(message);
}

/// <summary>One virtual user. Only one iteration runs on a copy at a time, so its state needs no locks.</summary>
public sealed class CopyContext(ScenarioContext scenario, int copyNumber)
{
    public ScenarioContext Scenario { get; } = scenario;

    /// <summary>0-based, unique within this process.</summary>
    public int CopyNumber { get; } = copyNumber;

    /// <summary>Unique across the run and its workers, e.g. "r5f3a-w1-c17": use it for pair ids, visitor ids.</summary>
    public string CopyId { get; } = $"{scenario.Settings.RunId}-w{scenario.Settings.WorkerIndex}-c{copyNumber}";

    /// <summary>Global copy index across workers (worker i's copies come after worker i-1's in round-robin).</summary>
    public long GlobalCopyNumber => (long)CopyNumber * Scenario.Settings.WorkerCount + Scenario.Settings.WorkerIndex;

    public object? State { get; set; }

    public T GetState<T>() where T : class =>
        State as T ?? throw new InvalidOperationException($"Copy {CopyId} has no state of type {typeof(T).Name}; set it in InitCopy.");
}

/// <summary>What a step sees when it runs.</summary>
public sealed class StepContext(CopyContext copy, long iteration, CancellationToken cancellationToken)
{
    public CopyContext Copy { get; } = copy;

    /// <summary>Iteration number of this copy (0-based).</summary>
    public long Iteration { get; } = iteration;

    /// <summary>Cancelled at the step's timeout or at the end of the run.</summary>
    public CancellationToken CancellationToken { get; } = cancellationToken;

    public ScenarioContext Scenario => Copy.Scenario;
}
