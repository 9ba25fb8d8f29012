using System.Collections.Concurrent;
using ChatCluster.LoadTests.Ceiling;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Progress;
using ChatCluster.LoadTests.Running;
using ChatCluster.LoadTests.Stats;

namespace ChatCluster.LoadTests.Tests;

/// <summary>
/// The open loop and the staircase of the ceiling search, on in-memory scenarios (no sockets): several iterations in
/// flight per copy, each step's numbers its own, and the sustained-ceiling verdict.
/// </summary>
public sealed class OpenLoopTests
{
    [Fact]
    public async Task Several_messages_are_in_flight_per_pair_so_a_slow_target_does_not_turn_into_no_free_copy()
    {
        // 2 copies, each iteration takes 200 ms, 50 offered per second for 2 s: a closed loop (one in flight per copy)
        // finishes 20 at most; the open loop more, however slow the machine, and it never declines one.
        var concurrent = new ConcurrentDictionary<int, int>();
        var peak = 0;
        var scenario = new Scenario("slow", [new Step("work", async ctx =>
        {
            var now = concurrent.AddOrUpdate(ctx.Copy.CopyNumber, 1, (_, n) => n + 1);
            InterlockedMax(ref peak, now);
            try { await Task.Delay(200, ctx.CancellationToken); }
            finally { concurrent.AddOrUpdate(ctx.Copy.CopyNumber, 0, (_, n) => n - 1); }
            return StepResult.Ok();
        })])
        {
            LoadSimulations = [LoadSimulation.Inject(50, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2))],
            MaxCopies = 2,
            PrewarmCopies = 2,
            MaxInFlightPerCopy = 40,
        };

        var data = await new ScenarioRunner(scenario, new RunSettings { Scenario = "slow" }, new SilentProgress()).RunAsync(null, CancellationToken.None);

        Assert.Equal(0, data.Iterations.Failed);
        Assert.InRange(data.Iterations.Ok, 21, 100);
        Assert.True(peak > 1, $"at most {peak} iteration(s) ran on one copy at once");
    }

    [Fact]
    public async Task Iteration_numbers_stay_unique_per_copy_when_iterations_overlap()
    {
        var seen = new ConcurrentDictionary<(int, long), byte>();
        var duplicates = 0;
        var scenario = new Scenario("ids", [new Step("work", async ctx =>
        {
            if (!seen.TryAdd((ctx.Copy.CopyNumber, ctx.Iteration), 0)) Interlocked.Increment(ref duplicates);
            await Task.Delay(50, ctx.CancellationToken);
            return StepResult.Ok();
        })])
        {
            LoadSimulations = [LoadSimulation.Inject(200, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))],
            MaxCopies = 3,
            PrewarmCopies = 3,
            MaxInFlightPerCopy = 30,
        };

        var data = await new ScenarioRunner(scenario, new RunSettings { Scenario = "ids" }, new SilentProgress()).RunAsync(null, CancellationToken.None);

        Assert.Equal(0, duplicates);
        Assert.Equal(data.Iterations.Ok, seen.Count);
    }

    [Fact]
    public async Task A_staircase_reuses_its_copies_and_gives_every_step_its_own_numbers_until_told_to_stop()
    {
        var initialised = 0;
        var scenario = new Scenario("stairs", [new Step("work", async ctx =>
        {
            await Task.Yield();
            return StepResult.Ok();
        })])
        {
            InitCopy = (_, _) => { Interlocked.Increment(ref initialised); return Task.CompletedTask; },
            LoadSimulations = [LoadSimulation.Inject(40, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))],
            MaxCopies = 4,
            PrewarmCopies = 4,
            MaxInFlightPerCopy = 8,
        };
        var runner = new ScenarioRunner(scenario, new RunSettings { Scenario = "stairs" }, new SilentProgress());
        var judged = 0;

        var steps = await runner.RunStaircaseAsync(
            [LoadSimulation.Inject(20, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
             LoadSimulation.Inject(40, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
             LoadSimulation.Inject(80, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))],
            _ => ++judged < 2,
            CancellationToken.None);

        Assert.Equal(2, steps.Count);
        Assert.Equal(4, initialised);
        Assert.InRange(steps[0].Iterations.Ok, 10, 20);
        Assert.InRange(steps[1].Iterations.Ok, 20, 40);
        Assert.All(steps, s => Assert.Equal(1, s.StepSeconds));
        Assert.All(steps, s => Assert.Contains(s.Iterations.Intervals, i => i.Histogram is not null));
    }

    [Fact]
    public void A_step_is_sustained_only_below_1_percent_failed_with_p99_at_most_250_ms_no_growing_backlog_and_its_rate_sent()
    {
        var criteria = SustainedCriteria.Default;

        Assert.True(criteria.Judge(100, Step(ok: 1000, failed: 9, firstMs: 5, lastMs: 6)).Sustained);
        Assert.Contains(criteria.Judge(100, Step(ok: 1000, failed: 11, firstMs: 5, lastMs: 6)).Reasons, r => r.Contains("failed"));
        Assert.Contains(criteria.Judge(100, Step(ok: 1000, failed: 0, firstMs: 5, lastMs: 300)).Reasons, r => r.Contains("p99"));
        Assert.Contains(criteria.Judge(100, Step(ok: 1000, failed: 0, firstMs: 20, lastMs: 120)).Reasons, r => r.Contains("backlog"));
        // A rate the generator could not produce (111/s sent of 200/s offered) says nothing about the target.
        Assert.Contains(criteria.Judge(200, Step(ok: 1000, failed: 0, firstMs: 5, lastMs: 6)).Reasons, r => r.Contains("only 111/s of 200/s sent"));
        // Sub-millisecond jitter doubling is not a backlog.
        Assert.True(criteria.Judge(100, Step(ok: 1000, failed: 0, firstMs: 0.4, lastMs: 1.2)).Sustained);
    }

    [Fact]
    public void The_plan_steps_the_rate_by_its_factor_up_to_the_maximum()
    {
        var rates = new CeilingPlan(500, 2, TimeSpan.FromSeconds(1), 4000, 2).Rates();

        Assert.Equal([500, 1000, 2000, 4000], rates);
        Assert.Throws<ArgumentException>(() => new CeilingPlan(500, 1, TimeSpan.FromSeconds(1), 4000, 2).Rates());
    }

    /// <summary>A 9-second step whose deliveries take <paramref name="firstMs"/> in its first three seconds and <paramref name="lastMs"/> in its last three.</summary>
    private static RunData Step(long ok, long failed, double firstMs, double lastMs)
    {
        var collector = new StatsCollector("step", keepIntervalHistograms: true);
        for (var second = 1; second <= 9; second++)
        {
            var ms = second <= 3 ? firstMs : second >= 7 ? lastMs : (firstMs + lastMs) / 2;
            for (var i = 0; i < ok / 9; i++) collector.RecordOk((long)(ms * 1000), 0, 0);
            collector.CloseInterval(second, 1, 1);
        }
        for (var i = 0; i < failed; i++) collector.RecordFail(ErrorCodes.NoDelivery, 0, 0);
        var stats = collector.ToData();
        return new RunData("step", DateTimeOffset.UtcNow, 9, stats, [stats], [], [], 1) { StepSeconds = 9 };
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }
}
