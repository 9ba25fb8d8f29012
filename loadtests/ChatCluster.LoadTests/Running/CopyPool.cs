using System.Collections.Concurrent;
using ChatCluster.LoadTests.Model;

namespace ChatCluster.LoadTests.Running;

/// <summary>A copy and how many iterations it ran.</summary>
internal sealed class Copy(CopyContext context)
{
    public CopyContext Context { get; } = context;
    public long Iterations;

    /// <summary>The next iteration number; copies with several slots run iterations concurrently.</summary>
    public long NextIteration() => Interlocked.Increment(ref Iterations) - 1;
}

/// <summary>
/// Copies are created on demand up to a cap and handed out as slots: a closed-model loop keeps a copy for
/// its life (one slot per copy), an injected iteration borrows a slot. In the open model a copy has
/// <paramref name="slotsPerCopy"/> slots (<see cref="Scenario.MaxInFlightPerCopy"/>), so several iterations
/// run on it at once, as several messages are in flight on a real chat. Idle slots queue first in, first
/// out, round-robin over copies, so injections rotate over all of them (every pair carries its share).
/// </summary>
internal sealed class CopyPool(Scenario scenario, ScenarioContext context, int capacity, Action<string> recordInitFailure, int slotsPerCopy = 1)
{
    private readonly ConcurrentQueue<Copy> _idle = new();
    private readonly ConcurrentBag<Copy> _all = [];
    private int _reserved;

    public int Capacity { get; } = capacity;
    public int Created => _all.Count;
    public int SlotsPerCopy { get; } = Math.Max(1, slotsPerCopy);

    public bool TryTakeIdle(out Copy copy) => _idle.TryDequeue(out copy!);

    /// <summary>Takes an idle copy or creates one; null when the cap is reached or its initialisation failed.</summary>
    public async Task<Copy?> AcquireAsync(CancellationToken cancellationToken)
    {
        if (_idle.TryDequeue(out var idle)) return idle;
        return await TryCreateAsync(cancellationToken);
    }

    public async Task<Copy?> TryCreateAsync(CancellationToken cancellationToken)
    {
        var number = Interlocked.Increment(ref _reserved) - 1;
        if (number >= Capacity)
        {
            Interlocked.Decrement(ref _reserved);
            return null;
        }
        var copy = new Copy(new CopyContext(context, number));
        try
        {
            if (scenario.InitCopy is not null)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                await scenario.InitCopy(copy.Context, timeout.Token);
            }
            _all.Add(copy);
            return copy;
        }
        catch (Exception ex)
        {
            recordInitFailure(ErrorCodes.From(ex));
            await CleanAsync(copy);
            Interlocked.Decrement(ref _reserved);
            return null;
        }
    }

    public void Release(Copy copy) => _idle.Enqueue(copy);

    /// <summary>A copy created during the run: its slots beyond the one the creator uses.</summary>
    public void ReleaseExtraSlots(Copy copy)
    {
        for (var i = 1; i < SlotsPerCopy; i++) _idle.Enqueue(copy);
    }

    /// <summary>Initialises <paramref name="count"/> copies before the clock starts, a bounded number at a time.</summary>
    public async Task PrewarmAsync(int count, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(64);
        var tasks = Enumerable.Range(0, Math.Min(count, Capacity)).Select(async _ =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                var copy = await TryCreateAsync(cancellationToken);
                if (copy is not null) Release(copy);
            }
            finally { gate.Release(); }
        });
        await Task.WhenAll(tasks);
        // The further slots round-robin over copies, so consecutive injections land on different copies.
        var created = _all.ToArray();
        for (var round = 1; round < SlotsPerCopy; round++)
            foreach (var copy in created) _idle.Enqueue(copy);
    }

    public async Task CleanAllAsync(TimeSpan budget)
    {
        var all = _all.ToArray();
        var cleaning = Task.WhenAll(all.Select(CleanAsync));
        await Task.WhenAny(cleaning, Task.Delay(budget));
    }

    private async Task CleanAsync(Copy copy)
    {
        if (scenario.CleanCopy is null) return;
        try { await scenario.CleanCopy(copy.Context); }
        catch (Exception) { /* cleaning is best effort; the run's numbers are already taken */ }
    }
}
