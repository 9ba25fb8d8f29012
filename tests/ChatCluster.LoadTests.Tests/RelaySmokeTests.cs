using ChatCluster.LoadTests.Baselines;
using ChatCluster.LoadTests.Cli;
using ChatCluster.LoadTests.Reporting;
using ChatCluster.LoadTests.Scenarios;

namespace ChatCluster.LoadTests.Tests;

/// <summary>
/// Smoke runs of the relay scenario: the harness works end to end and reports sane values.
/// Not a performance gate: only counts and orderings are asserted, never speeds. The runs use the closed
/// model (pairs ping-pong back to back): on a busy 2-core machine an open-model run can rightly count
/// "no_free_copy" when everything stalls, which would make a smoke test flaky; the open model is pinned
/// by <see cref="ScenarioRunnerTests"/> without sockets.
/// </summary>
public sealed class RelaySmokeTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatcluster-loadtests-tests-" + Guid.NewGuid().ToString("N")[..8]);

    [Theory]
    [InlineData(BaselineKind.Relay)]
    [InlineData(BaselineKind.SignalR)]
    public async Task A_short_relay_run_against_a_baseline_reports_sane_numbers_and_writes_its_reports(BaselineKind kind)
    {
        await using var server = await BaselineServer.StartAsync(kind);

        var outcome = await RunRelayAsync(server, kind, "--pairs", "4", "--warm-up", "1s", "--duration", "2s");

        AssertSane(outcome.Report);
        AssertReportFiles(outcome.ReportFolder!);
    }

    [Fact]
    public async Task A_run_spread_over_two_worker_processes_merges_their_numbers_into_one_report()
    {
        await using var server = await BaselineServer.StartAsync(BaselineKind.Relay);

        var outcome = await RunRelayAsync(server, BaselineKind.Relay,
            "--pairs", "4", "--warm-up", "1s", "--duration", "2s", "--workers", "2", "--source-addresses", "127.0.0.2-127.0.0.3");

        AssertSane(outcome.Report);
        Assert.Equal(2, outcome.Report.Meta.Processes);
        AssertReportFiles(outcome.ReportFolder!);
    }

    [Fact]
    public async Task The_harness_starts_a_baseline_child_process_itself_when_no_url_is_given()
    {
        var definition = ScenarioCatalog.Find("relay")!;
        var settings = CommandLine.Parse(definition, ["--baseline", "relay", "--pairs", "2", "--duration", "2s", "--progress", "none", "--no-report"]);

        var outcome = await RunCommand.ExecuteAsync(definition, settings, CancellationToken.None);

        AssertSane(outcome.Report);
        Assert.Contains("child process", outcome.Report.Meta.Title);
    }

    [Theory]
    [InlineData(BaselineKind.Relay)]
    [InlineData(BaselineKind.SignalR)]
    public async Task Open_loop_relay_keeps_several_messages_in_flight_per_pair(BaselineKind kind)
    {
        await using var server = await BaselineServer.StartAsync(kind);

        // A warm-up second first: a fresh server's first requests (JIT, first connections) can stall for a second on a
        // busy machine, which would fill every slot and turn the rest of that second into no_free_copy.
        var outcome = await RunRelayAsync(server, kind, "--pairs", "2", "--rate", "200", "--in-flight", "20", "--warm-up", "1s", "--duration", "2s", "--no-report");

        AssertSane(outcome.Report);
        Assert.InRange(outcome.Report.Iterations.Ok, 100, 440);
    }

    [Fact]
    public async Task The_ceiling_search_of_a_baseline_reports_every_step_and_the_highest_sustained_rate()
    {
        await using var server = await BaselineServer.StartAsync(BaselineKind.Relay);

        var (report, _) = await CeilingCommand.RunAsync(
        [
            "relay", "--url", server.RelayUrl.ToString(), "--baseline", "relay", "--pairs", "2",
            "--start", "50", "--factor", "2", "--max-rate", "100", "--step-duration", "1s", "--warm-up", "0s", "--progress", "none", "--no-report",
        ], CancellationToken.None);

        Assert.Equal([50.0, 100.0], report.Steps.Select(s => s.OfferedPerSecond).Take(2));
        Assert.All(report.Steps, s => Assert.True(s.Delivered > 0));
        Assert.Equal(report.Steps.Where(s => s.Sustained).Select(s => (double?)s.OfferedPerSecond).Max(), report.SustainedCeiling);
        Assert.Contains("p99 ≤ 250 ms", report.Criteria);
    }

    [Fact]
    public async Task A_target_outside_loopback_is_refused_before_any_traffic()
    {
        var definition = ScenarioCatalog.Find("relay")!;
        var settings = CommandLine.Parse(definition, ["--url", "ws://10.1.2.3:5000/relay", "--duration", "1s", "--progress", "none", "--no-report"]);

        await Assert.ThrowsAsync<Network.NotLoopbackException>(() => RunCommand.ExecuteAsync(definition, settings, CancellationToken.None));
    }

    private async Task<RunOutcome> RunRelayAsync(BaselineServer server, BaselineKind kind, params string[] load)
    {
        var definition = ScenarioCatalog.Find("relay")!;
        var settings = CommandLine.Parse(definition,
        [
            "--url", server.RelayUrl.ToString(), "--baseline", kind.ToString().ToLowerInvariant(),
            "--progress", "none", "--report-folder", Path.Combine(_folder, kind.ToString()), .. load,
        ]);
        return await RunCommand.ExecuteAsync(definition, settings, CancellationToken.None);
    }

    private static void AssertSane(RunReport report)
    {
        foreach (var stats in report.Steps.Prepend(report.Iterations))
        {
            Assert.True(stats.Ok > 0, $"{stats.Name}: no successful execution");
            Assert.True(stats.Failed == 0, $"{stats.Name}: failures {string.Join(", ", stats.Errors.Select(e => $"{e.Code}×{e.Count}"))}; per second (ok/failed/copies/max ms): " +
                string.Join(" ", stats.TimeSeries.Select(p => $"{p.Second}:{p.Ok}/{p.Failed}/{p.ActiveCopies}/{p.MaxMs}")));
            var l = stats.Latency;
            Assert.True(l.MinMs > 0 && l.MinMs <= l.P50Ms, $"{stats.Name}: min {l.MinMs} vs p50 {l.P50Ms}");
            Assert.True(l.P50Ms <= l.P75Ms && l.P75Ms <= l.P95Ms && l.P95Ms <= l.P99Ms && l.P99Ms <= l.P999Ms, $"{stats.Name}: percentiles out of order");
            // HdrHistogram reports a bucket's upper equivalent value, at most 0.1 % above the exact max.
            Assert.True(l.P999Ms <= l.MaxMs * 1.001 + 0.001, $"{stats.Name}: p99.9 {l.P999Ms} above max {l.MaxMs}");
            Assert.True(stats.BytesSent > 0 && stats.BytesReceived > 0, $"{stats.Name}: no bytes counted");
            Assert.True(stats.OkPerSecond > 0);
            Assert.NotEmpty(stats.TimeSeries);
        }
        Assert.Empty(report.CopyInitFailures);
    }

    private static void AssertReportFiles(string folder)
    {
        var parsed = ReportWriter.Read(folder);
        Assert.True(parsed.Iterations.Ok > 0);
        Assert.Contains("| relay message |", File.ReadAllText(Path.Combine(folder, "report.md")));
        var html = File.ReadAllText(Path.Combine(folder, "report.html"));
        Assert.Contains("<svg", html);
        Assert.DoesNotContain("<script src", html);
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
