using System.Collections.Concurrent;
using System.Diagnostics;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Network;
using ChatCluster.LoadTests.Progress;
using ChatCluster.LoadTests.Stats;

namespace ChatCluster.LoadTests.Running;

/// <summary>
/// Runs one scenario in this process: init, prewarm, the load simulations one after the other, drain,
/// clean. Bounded in time (sum of the simulations, then a drain no longer than the longest step timeout,
/// then a hard cancel) and in count (--max-iterations, shared among workers).
/// </summary>
public sealed class ScenarioRunner
{
    private static readonly TimeSpan InitBudget = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PrewarmBudget = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan CleanBudget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan FailureBackoff = TimeSpan.FromMilliseconds(10);

    private readonly Scenario _scenario;
    private readonly RunSettings _settings;
    private readonly IProgressSink _progress;
    private readonly List<LoadSimulation> _simulations;
    private bool _keepIntervalHistograms;
    private StatsCollector _iterations;
    private StatsCollector[] _steps;
    private readonly ConcurrentDictionary<string, long> _initFailures = new(StringComparer.Ordinal);
    private readonly long _maxIterations;
    private readonly Stopwatch _clock = new();
    private long _iterationsStarted;
    private int _injectedInFlight;
    private int _runningLoops;
    private volatile string _phase = "init";
    private TimeSpan _phaseDuration;

    public ScenarioRunner(Scenario scenario, RunSettings settings, IProgressSink progress)
    {
        if (scenario.Steps.Count == 0) throw new ArgumentException($"Scenario '{scenario.Name}' has no step.");
        if (scenario.LoadSimulations.Count == 0) throw new ArgumentException($"Scenario '{scenario.Name}' has no load simulation.");
        _scenario = scenario;
        _settings = settings;
        _progress = progress;
        _simulations = scenario.LoadSimulations.Select(s => s.Slice(settings.WorkerIndex, settings.WorkerCount)).ToList();
        _keepIntervalHistograms = settings.WorkerCount > 1;
        (_iterations, _steps) = NewCollectors();
        _maxIterations = Math.Max(1, settings.MaxIterations / settings.WorkerCount);

        var total = TotalDuration;
        if (total <= TimeSpan.Zero) throw new ArgumentException("The load simulations last no time at all.");
        if (total > RunLimits.MaxDuration) throw new ArgumentException($"The load simulations last {total}, more than the {RunLimits.MaxDuration} a run may.");
        foreach (var step in scenario.Steps)
        {
            if (step.Timeout <= TimeSpan.Zero || step.Timeout > RunLimits.MaxStepTimeout)
                throw new ArgumentException($"Step '{step.Name}' timeout {step.Timeout} is outside (0, {RunLimits.MaxStepTimeout}].");
        }
        var sockets = (long)CopyCapacity * scenario.SocketsPerCopy;
        if (sockets > RunLimits.MaxSocketsPerProcess)
            throw new ArgumentException(
                $"This process would hold up to {sockets:N0} sockets ({CopyCapacity:N0} copies × {scenario.SocketsPerCopy}); " +
                $"a process may hold at most {RunLimits.MaxSocketsPerProcess:N0}. Spread the load with --workers {(int)Math.Ceiling(sockets * (double)settings.WorkerCount / RunLimits.MaxSocketsPerProcess)} or more.");
    }

    public TimeSpan TotalDuration => _simulations.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.During);

    private int PeakClosedCopies => _simulations.OfType<RampConstantSimulation>().Select(s => s.Copies)
        .Concat(_simulations.OfType<KeepConstantSimulation>().Select(s => s.Copies)).DefaultIfEmpty(0).Max();

    private int CopyCapacity => Math.Max(PeakClosedCopies,
        _simulations.Any(s => s.IsOpenModel) ? LoadSimulation.ShareOf(_scenario.MaxCopies, _settings.WorkerIndex, _settings.WorkerCount) : 0);

    private TimeSpan DrainBudget => _scenario.Steps.Max(s => s.Timeout) + TimeSpan.FromSeconds(2);

    /// <param name="beforeClockStarts">Called after init and prewarm; a worker waits there for the coordinator's "go".</param>
    public async Task<RunData> RunAsync(Func<CancellationToken, Task>? beforeClockStarts, CancellationToken cancellationToken)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var connector = new LoopbackConnector(_settings.SourceAddresses);
        var (context, pool, prewarmCopies, prewarmSeconds) = await PrepareAsync(connector, abort);
        if (beforeClockStarts is not null) await beforeClockStarts(abort.Token);

        // Hard stop: nothing of this run outlives warm-up and simulations, each plus a drain, plus a margin.
        abort.CancelAfter(_settings.WarmUp + TotalDuration + 2 * DrainBudget + TimeSpan.FromSeconds(5));
        await WarmUpAsync(_simulations[0], pool, abort);
        await ReadCountersAsync(); // what prewarm and warm-up counted is not the run's
        var startedUtc = DateTimeOffset.UtcNow;
        await RunPhaseAsync(_simulations, pool, abort, warmingUp: false);
        var counters = await ReadCountersAsync();
        await CleanAsync(context, pool);
        return Data(startedUtc, _simulations, prewarmCopies, prewarmSeconds, counters);
    }

    /// <summary>
    /// The ceiling search: init, prewarm and warm up once (at the first step's level), then run <paramref name="steps"/>
    /// one after the other on the same copies, each with fresh statistics and drained before the next starts, so every
    /// message counts for the step that sent it. After each step <paramref name="keepGoing"/> decides whether to go on.
    /// Per-second histograms are kept, for the backlog check (first third's p50 against the last third's).
    /// </summary>
    public async Task<IReadOnlyList<RunData>> RunStaircaseAsync(IReadOnlyList<LoadSimulation> steps, Func<RunData, bool> keepGoing, CancellationToken cancellationToken)
    {
        if (steps.Count == 0) throw new ArgumentException("A staircase needs at least one step.");
        _keepIntervalHistograms = true;
        (_iterations, _steps) = NewCollectors();
        var sliced = steps.Select(s => s.Slice(_settings.WorkerIndex, _settings.WorkerCount)).ToList();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var connector = new LoopbackConnector(_settings.SourceAddresses);
        var (context, pool, prewarmCopies, prewarmSeconds) = await PrepareAsync(connector, abort);
        var budget = sliced.Aggregate(_settings.WarmUp + 2 * DrainBudget, (sum, s) => sum + s.During + DrainBudget + TimeSpan.FromSeconds(1));
        if (budget > RunLimits.MaxDuration + TimeSpan.FromMinutes(10)) throw new ArgumentException($"The staircase would last {budget}, more than a run may.");
        abort.CancelAfter(budget + TimeSpan.FromSeconds(5));
        await WarmUpAsync(sliced[0], pool, abort);
        var results = new List<RunData>();
        try
        {
            foreach (var step in sliced)
            {
                if (abort.IsCancellationRequested) break;
                (_iterations, _steps) = NewCollectors();
                Interlocked.Exchange(ref _iterationsStarted, 0);
                await ReadCountersAsync();
                var startedUtc = DateTimeOffset.UtcNow;
                await RunPhaseAsync([step], pool, abort, warmingUp: false);
                var data = Data(startedUtc, [step], prewarmCopies, prewarmSeconds, await ReadCountersAsync()) with { StepSeconds = step.During.TotalSeconds };
                results.Add(data);
                if (!keepGoing(data)) break;
            }
        }
        finally { await CleanAsync(context, pool); }
        return results;
    }

    private async Task<(ScenarioContext Context, CopyPool Pool, long PrewarmCopies, double PrewarmSeconds)> PrepareAsync(LoopbackConnector connector, CancellationTokenSource abort)
    {
        var context = new ScenarioContext(_settings, connector, abort.Token, _progress.Log);
        // Several iterations per copy only in a purely open run: a closed-model loop owns its copy.
        var slots = _simulations.All(s => s.IsOpenModel) ? _scenario.MaxInFlightPerCopy : 1;
        var pool = new CopyPool(_scenario, context, CopyCapacity, code => _initFailures.AddOrUpdate("init:" + code, 1, (_, n) => n + 1), slots);

        if (_scenario.Init is not null) await WithBudget(_scenario.Init(context), _scenario.InitBudget ?? InitBudget, "scenario init");
        var prewarm = Math.Min(LoadSimulation.ShareOf(_scenario.PrewarmCopies, _settings.WorkerIndex, _settings.WorkerCount), pool.Capacity);
        var prewarmClock = Stopwatch.StartNew();
        if (prewarm > 0)
        {
            _phase = $"prewarm {prewarm} copies";
            using var prewarmTimeout = CancellationTokenSource.CreateLinkedTokenSource(abort.Token);
            prewarmTimeout.CancelAfter(_scenario.PrewarmBudget ?? PrewarmBudget);
            try { await pool.PrewarmAsync(prewarm, prewarmTimeout.Token); }
            catch (OperationCanceledException) when (!abort.IsCancellationRequested)
            {
                // The missing copies are created on demand during the run.
                _progress.Log($"prewarm stopped after {_scenario.PrewarmBudget ?? PrewarmBudget} with {pool.Created} of {prewarm} copies ready.");
            }
        }
        return (context, pool, prewarm > 0 ? pool.Created : 0, prewarm > 0 ? prewarmClock.Elapsed.TotalSeconds : 0);
    }

    private async Task WarmUpAsync(LoadSimulation first, CopyPool pool, CancellationTokenSource abort)
    {
        if (_settings.WarmUp <= TimeSpan.Zero) return;
        // Same shape as the first simulation at its full level; JIT, pools and caches warm up, the numbers are dropped.
        LoadSimulation warmUp = first.IsOpenModel
            ? LoadSimulation.Inject(first.EndLevel, TimeSpan.FromSeconds(1), _settings.WarmUp)
            : LoadSimulation.KeepConstant((int)first.EndLevel, _settings.WarmUp);
        await RunPhaseAsync([warmUp], pool, abort, warmingUp: true);
        (_iterations, _steps) = NewCollectors();
        Interlocked.Exchange(ref _iterationsStarted, 0);
    }

    private async Task CleanAsync(ScenarioContext context, CopyPool pool)
    {
        _phase = "clean";
        await pool.CleanAllAsync(CleanBudget);
        if (_scenario.Clean is not null)
        {
            try { await WithBudget(_scenario.Clean(context), CleanBudget, "scenario clean"); }
            catch (Exception ex) { _progress.Log($"scenario clean failed: {ex.Message}"); }
        }
    }

    private async Task<Dictionary<string, long>> ReadCountersAsync()
    {
        if (_scenario.ReadCounters is null) return [];
        try { return await _scenario.ReadCounters().WaitAsync(TimeSpan.FromSeconds(15)); }
        catch (Exception ex) when (ex is TimeoutException or HttpRequestException)
        {
            _progress.Log($"counters not read: {ex.Message}");
            return [];
        }
    }

    private RunData Data(DateTimeOffset startedUtc, IReadOnlyList<LoadSimulation> simulations, long prewarmCopies, double prewarmSeconds, Dictionary<string, long> counters) =>
        new(_scenario.Name,
            startedUtc,
            _clock.Elapsed.TotalSeconds,
            _iterations.ToData(),
            _steps.Select(s => s.ToData()).ToList(),
            new Dictionary<string, long>(_initFailures, StringComparer.Ordinal),
            simulations.Select(s => s.Describe()).ToList(),
            1)
        {
            PrewarmCopies = prewarmCopies,
            PrewarmSeconds = prewarmSeconds,
            Counters = counters,
        };

    private (StatsCollector Iterations, StatsCollector[] Steps) NewCollectors() =>
        (new StatsCollector(_scenario.Name, _keepIntervalHistograms),
         _scenario.Steps.Select(s => new StatsCollector(s.Name, _keepIntervalHistograms)).ToArray());

    private async Task RunPhaseAsync(IReadOnlyList<LoadSimulation> simulations, CopyPool pool, CancellationTokenSource abort, bool warmingUp)
    {
        _phaseDuration = simulations.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.During);
        _clock.Restart();
        using var stopTicker = new CancellationTokenSource();
        var ticker = TickAsync(stopTicker.Token);
        var loops = new List<(CancellationTokenSource Stop, Task Task)>();
        var closedLevel = 0;
        var openRate = 0.0;
        var simulationStart = TimeSpan.Zero;
        var pending = new ConcurrentDictionary<Task, byte>();
        try
        {
            foreach (var simulation in simulations)
            {
                if (abort.IsCancellationRequested || CountExhausted) break;
                _phase = (warmingUp ? "warm-up " : "") + simulation.Describe();
                if (simulation.IsOpenModel)
                {
                    SetLoops(loops, 0, pool, abort.Token);
                    closedLevel = 0;
                    await InjectAsync(simulation, simulationStart, openRate, pool, pending, abort.Token);
                    openRate = simulation.EndLevel;
                }
                else
                {
                    openRate = 0;
                    await DriveLoopsAsync(simulation, simulationStart, closedLevel, loops, pool, abort.Token);
                    closedLevel = (int)simulation.EndLevel;
                }
                simulationStart += simulation.During;
            }
        }
        finally
        {
            _phase = warmingUp ? "warm-up drain" : "drain";
            SetLoops(loops, 0, pool, abort.Token);
            var drained = Task.WhenAll(loops.Select(l => l.Task).Concat(pending.Keys));
            if (await Task.WhenAny(drained, Task.Delay(DrainBudget, CancellationToken.None)) != drained && !warmingUp) abort.Cancel();
            await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
            _clock.Stop();
            stopTicker.Cancel();
            await ticker;
            foreach (var loop in loops) loop.Stop.Dispose();
        }
    }

    private bool CountExhausted => Interlocked.Read(ref _iterationsStarted) >= _maxIterations;

    private bool TryStartIteration() => Interlocked.Increment(ref _iterationsStarted) <= _maxIterations;

    // ---- closed model -------------------------------------------------------------------------

    private async Task DriveLoopsAsync(LoadSimulation simulation, TimeSpan simulationStart, int previousCopies,
        List<(CancellationTokenSource Stop, Task Task)> loops, CopyPool pool, CancellationToken abort)
    {
        while (!abort.IsCancellationRequested && !CountExhausted)
        {
            var elapsed = _clock.Elapsed - simulationStart;
            if (elapsed >= simulation.During) break;
            SetLoops(loops, simulation.CopiesAt(elapsed, previousCopies), pool, abort);
            var left = simulation.During - elapsed;
            await Delay(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100), abort);
        }
    }

    private void SetLoops(List<(CancellationTokenSource Stop, Task Task)> loops, int target, CopyPool pool, CancellationToken abort)
    {
        var running = loops.Count(l => !l.Stop.IsCancellationRequested);
        for (var i = running; i < target; i++)
        {
            var stop = new CancellationTokenSource();
            loops.Add((stop, Task.Run(() => LoopAsync(pool, stop.Token, abort), CancellationToken.None)));
        }
        // Stop the most recently started loops first; each finishes its current iteration.
        for (var i = loops.Count - 1; i >= 0 && running > target; i--)
        {
            if (loops[i].Stop.IsCancellationRequested) continue;
            loops[i].Stop.Cancel();
            running--;
        }
    }

    private async Task LoopAsync(CopyPool pool, CancellationToken stop, CancellationToken abort)
    {
        Interlocked.Increment(ref _runningLoops);
        Copy? copy = null;
        try
        {
            while (!stop.IsCancellationRequested && !abort.IsCancellationRequested)
            {
                copy ??= await pool.AcquireAsync(abort);
                if (copy is null)
                {
                    await Delay(TimeSpan.FromMilliseconds(100), abort);
                    continue;
                }
                if (!TryStartIteration()) break;
                if (!await RunIterationAsync(copy, abort)) await Delay(FailureBackoff, abort);
            }
        }
        catch (Exception ex)
        {
            _progress.Log($"copy loop stopped: {ex.Message}");
        }
        finally
        {
            if (copy is not null) pool.Release(copy);
            Interlocked.Decrement(ref _runningLoops);
        }
    }

    // ---- open model ---------------------------------------------------------------------------

    private async Task InjectAsync(LoadSimulation simulation, TimeSpan simulationStart, double previousRate,
        CopyPool pool, ConcurrentDictionary<Task, byte> pending, CancellationToken abort)
    {
        long launched = 0;
        var ratePerSecond = Math.Max(simulation.EndLevel, previousRate);
        var tick = ratePerSecond > 0 ? TimeSpan.FromMilliseconds(Math.Clamp(1000 / ratePerSecond, 1, 20)) : TimeSpan.FromMilliseconds(20);
        while (!abort.IsCancellationRequested)
        {
            var elapsed = _clock.Elapsed - simulationStart;
            if (elapsed >= simulation.During) break;
            var due = (long)Math.Floor(simulation.InjectedBy(elapsed, previousRate));
            for (; launched < due; launched++)
            {
                if (!TryStartIteration()) return;
                if (pool.TryTakeIdle(out var idle))
                {
                    Track(pending, RunInjectedAsync(idle, pool, abort));
                }
                else if (pool.Created < pool.Capacity)
                {
                    Track(pending, CreateAndRunAsync(pool, abort));
                }
                else
                {
                    // Every copy is busy: the target cannot keep up with the offered rate. Count it, do not queue it
                    // (queueing would hide the delay from the latencies: coordinated omission).
                    _iterations.RecordFail(ErrorCodes.NoFreeCopy, 0, 0);
                }
            }
            await Delay(tick, abort);
        }
    }

    private static void Track(ConcurrentDictionary<Task, byte> pending, Task task)
    {
        pending.TryAdd(task, 0);
        task.ContinueWith(t => pending.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunInjectedAsync(Copy copy, CopyPool pool, CancellationToken abort)
    {
        Interlocked.Increment(ref _injectedInFlight);
        try { await RunIterationAsync(copy, abort); }
        finally
        {
            Interlocked.Decrement(ref _injectedInFlight);
            pool.Release(copy);
        }
    }

    private async Task CreateAndRunAsync(CopyPool pool, CancellationToken abort)
    {
        var copy = await pool.TryCreateAsync(abort);
        if (copy is null)
        {
            _iterations.RecordFail(_initFailures.IsEmpty ? ErrorCodes.NoFreeCopy : "copy_init_failed", 0, 0);
            return;
        }
        pool.ReleaseExtraSlots(copy);
        await RunInjectedAsync(copy, pool, abort);
    }

    // ---- one iteration ------------------------------------------------------------------------

    private async Task<bool> RunIterationAsync(Copy copy, CancellationToken abort)
    {
        var iteration = copy.NextIteration();
        long micros = 0, sent = 0, received = 0;
        for (var i = 0; i < _scenario.Steps.Count; i++)
        {
            var (result, stepMicros) = await RunStepAsync(_scenario.Steps[i], copy, iteration, abort);
            sent += result.BytesSent;
            received += result.BytesReceived;
            if (!result.IsOk)
            {
                _steps[i].RecordFail(result.ErrorCode!, result.BytesSent, result.BytesReceived);
                _iterations.RecordFail(result.ErrorCode!, sent, received);
                return false;
            }
            _steps[i].RecordOk(stepMicros, result.BytesSent, result.BytesReceived);
            micros += stepMicros;
        }
        _iterations.RecordOk(micros, sent, received);
        return true;
    }

    private static async Task<(StepResult Result, long Micros)> RunStepAsync(Step step, Copy copy, long iteration, CancellationToken abort)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(abort);
        timeout.CancelAfter(step.Timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await step.Run(new StepContext(copy.Context, iteration, timeout.Token));
            var latency = result.Latency ?? Stopwatch.GetElapsedTime(started);
            return (result, LatencyHistograms.ToMicros(latency));
        }
        catch (OperationCanceledException) when (!abort.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            return (StepResult.Fail(ErrorCodes.Timeout), 0);
        }
        catch (Exception ex)
        {
            return (StepResult.Fail(abort.IsCancellationRequested ? ErrorCodes.Cancelled : ErrorCodes.From(ex)), 0);
        }
    }

    // ---- time series and progress -------------------------------------------------------------

    private async Task TickAsync(CancellationToken stop)
    {
        var second = 0;
        var lastClose = TimeSpan.Zero;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                second++;
                lastClose = CloseIntervals(second, lastClose);
            }
        }
        catch (OperationCanceledException) { }
        if (_clock.Elapsed - lastClose > TimeSpan.FromMilliseconds(50)) CloseIntervals(second + 1, lastClose);
    }

    private TimeSpan CloseIntervals(int second, TimeSpan lastClose)
    {
        var now = _clock.Elapsed;
        var length = (now - lastClose).TotalSeconds;
        // Copies at work: looping (closed model) or running an injected iteration at this instant (open model).
        var active = Volatile.Read(ref _runningLoops) + Volatile.Read(ref _injectedInFlight);
        var rows = new List<ProgressRow>(_steps.Length + 1);
        foreach (var collector in _steps.Prepend(_iterations))
        {
            var point = collector.CloseInterval(second, length, active);
            var (ok, failed, sent, received, _) = collector.Live();
            rows.Add(new ProgressRow(collector == _iterations ? "iteration" : collector.Name, ok, failed,
                length > 0 ? point.Ok / length : 0, LatencyHistograms.Millis(point.P50Micros), LatencyHistograms.Millis(point.P99Micros), sent, received));
        }
        _progress.Report(new ProgressSnapshot(_scenario.Name, now.TotalSeconds, _phaseDuration.TotalSeconds, _phase, active, rows));
        return now;
    }

    private static async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        try { await Task.Delay(delay, cancellationToken); }
        catch (OperationCanceledException) { }
    }

    private static async Task WithBudget(Task task, TimeSpan budget, string what)
    {
        if (await Task.WhenAny(task, Task.Delay(budget)) != task) throw new TimeoutException($"{what} took longer than {budget}.");
        await task;
    }
}
