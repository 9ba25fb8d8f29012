using System.Diagnostics;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Progress;
using ChatCluster.LoadTests.Running;

namespace ChatCluster.LoadTests.Tests;

/// <summary>The runner's load models and bounds, on an in-memory scenario (no sockets, no timing noise from a server).</summary>
public sealed class ScenarioRunnerTests
{
    private static Scenario InMemory(TimeSpan stepTime, params LoadSimulation[] load) =>
        new("in-memory", [new Step("work", async ctx =>
        {
            if (stepTime > TimeSpan.Zero) await Task.Delay(stepTime, ctx.CancellationToken);
            else await Task.Yield();
            return StepResult.Ok(bytesSent: 3, bytesReceived: 5);
        })])
        { LoadSimulations = load, MaxCopies = 50 };

    private static Task<RunData> RunAsync(Scenario scenario, RunSettings? settings = null) =>
        new ScenarioRunner(scenario, settings ?? new RunSettings { Scenario = scenario.Name }, new SilentProgress()).RunAsync(null, CancellationToken.None);

    [Fact]
    public async Task Inject_starts_iterations_at_the_offered_rate_for_the_duration()
    {
        // As many copies as iterations offered: a stall of the loaded machine then cannot turn into no_free_copy
        // (that limit has its own test below); this one is about the rate.
        var data = await RunAsync(InMemory(TimeSpan.Zero, LoadSimulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2))) with { MaxCopies = 200 });

        // Never more than offered; fewer when a loaded CI machine starves the injector (not a timing gate).
        Assert.InRange(data.Iterations.Ok, 100, 200);
        Assert.Equal(0, data.Iterations.Failed);
        Assert.Equal(data.Iterations.Ok * 3, data.Iterations.BytesSent);
        Assert.InRange(data.Iterations.Intervals.Count, 2, 3);
    }

    [Fact]
    public async Task An_injection_finding_every_copy_busy_is_counted_as_no_free_copy_not_queued()
    {
        var scenario = InMemory(TimeSpan.FromMilliseconds(200), LoadSimulation.Inject(50, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))) with { MaxCopies = 2 };

        var data = await RunAsync(scenario);

        Assert.True(data.Iterations.Failed > 20, $"failed {data.Iterations.Failed}");
        Assert.Equal(data.Iterations.Failed, data.Iterations.Errors[ErrorCodes.NoFreeCopy]);
        Assert.InRange(data.Iterations.Ok, 4, 12);
    }

    [Fact]
    public async Task Ramp_then_keep_constant_initialises_each_copy_once_and_cleans_them_all()
    {
        var initialised = 0;
        var cleaned = 0;
        var scenario = InMemory(TimeSpan.FromMilliseconds(5),
            LoadSimulation.RampConstant(6, TimeSpan.FromSeconds(1)),
            LoadSimulation.KeepConstant(6, TimeSpan.FromSeconds(2))) with // two whole seconds: a noisy machine can shift one sample past the end
        {
            InitCopy = (_, _) => { Interlocked.Increment(ref initialised); return Task.CompletedTask; },
            CleanCopy = _ => { Interlocked.Increment(ref cleaned); return Task.CompletedTask; },
        };

        var data = await RunAsync(scenario);

        Assert.Equal(6, initialised);
        Assert.Equal(6, cleaned);
        Assert.True(data.Iterations.Ok > 100, $"ok {data.Iterations.Ok}");
        Assert.Equal(6, data.Iterations.Intervals.Max(i => i.ActiveCopies));
    }

    [Fact]
    public async Task A_run_stops_by_itself_at_its_iteration_cap_long_before_its_duration()
    {
        var watch = Stopwatch.StartNew();
        var scenario = InMemory(TimeSpan.Zero, LoadSimulation.KeepConstant(4, TimeSpan.FromSeconds(60)));

        var data = await RunAsync(scenario, new RunSettings { Scenario = scenario.Name, MaxIterations = 500 });

        Assert.Equal(500, data.Iterations.Ok + data.Iterations.Failed);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_step_that_outlives_its_timeout_fails_as_timeout()
    {
        var scenario = new Scenario("slow", [new Step("hang", async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return StepResult.Ok();
        }) { Timeout = TimeSpan.FromMilliseconds(100) }])
        { LoadSimulations = [LoadSimulation.KeepConstant(1, TimeSpan.FromSeconds(1))] };

        var data = await RunAsync(scenario);

        Assert.Equal(0, data.Iterations.Ok);
        Assert.True(data.Steps[0].Errors[ErrorCodes.Timeout] >= 1);
    }

    [Fact]
    public void A_load_above_the_open_files_limit_of_one_process_is_refused_with_advice()
    {
        var scenario = InMemory(TimeSpan.Zero, LoadSimulation.KeepConstant(10_000, TimeSpan.FromSeconds(1))) with { SocketsPerCopy = 2 };

        var error = Assert.Throws<ArgumentException>(() => new ScenarioRunner(scenario, new RunSettings { Scenario = "x" }, new SilentProgress()));
        Assert.Contains("--workers", error.Message);
    }
}
