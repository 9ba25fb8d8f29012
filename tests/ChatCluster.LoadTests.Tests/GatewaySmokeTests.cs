using ChatCluster.LoadTests.Ceiling;
using ChatCluster.LoadTests.Cli;
using ChatCluster.LoadTests.Gateway;
using ChatCluster.LoadTests.Reporting;
using ChatCluster.LoadTests.Scenarios;

namespace ChatCluster.LoadTests.Tests;

/// <summary>
/// One embedded ChatCluster gateway, started as a child process the way the harness starts it (short
/// retention minimum so the retention scenario can finish in seconds), shared by the smoke runs below.
/// </summary>
public sealed class GatewayChild : IAsyncLifetime
{
    public GatewayProcess Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayProcess.StartAsync(new Dictionary<string, string>
    {
        ["ChatCluster__Retention__MinimumPeriod"] = "00:00:01",
        ["ChatCluster__Retention__CheckInterval"] = "00:00:01",
        ["ChatCluster__Webhooks__AllowPrivateTargets"] = "true", // the chat run's --webhook receiver listens on loopback
    }, CancellationToken.None);

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>
/// Smoke runs of the ChatCluster scenarios (a few seconds, small N): the harness drives the real gateway and
/// reports sane values. Not performance gates: counts, orderings and that the gateway's own numbers were read.
/// Closed model throughout, so a stalled shared machine slows the runs instead of failing them.
/// </summary>
public sealed class GatewaySmokeTests(GatewayChild child) : IClassFixture<GatewayChild>, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatcluster-loadtests-gw-" + Guid.NewGuid().ToString("N")[..8]);

    [Theory]
    [InlineData("json")]
    [InlineData("msgpack")]
    public async Task Chat_pairs_exchange_messages_end_to_end_in_both_encodings(string encoding)
    {
        var report = await RunAsync("chat", "--pairs", "3", "--duration", "2s", "--encoding", encoding);

        AssertSane(report, ChatScenario.StepName);
        AssertMemoryPerConnectionReported(report);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("all")]
    public async Task Open_loop_chat_keeps_several_messages_in_flight_per_pair_over_tenants_or_one_busy_tenant(string pairsPerTenant)
    {
        var report = await RunAsync("chat", "--pairs", "4", "--pairs-per-tenant", pairsPerTenant, "--rate", "40", "--in-flight", "8",
            "--duration", "2s", "--encoding", "msgpack");

        AssertSane(report, ChatScenario.StepName);
        Assert.Equal(pairsPerTenant, report.Meta.Options[ChatScenario.PairsPerTenant]);
        // Every delivered message is one `message` frame at the receiving agent or visitor (and one echo at its sender).
        var messageFrames = report.Counters.Where(c => c.Name is "frames:agent:message" or "frames:visitor:message").Sum(c => c.Total);
        Assert.InRange(messageFrames, report.Iterations.Ok, 3 * report.Iterations.Ok);
        Assert.Contains(report.Counters, c => c.Name == "frames:agent:ack" || c.Name == "frames:visitor:ack");
    }

    [Fact]
    public async Task A_webhook_receiver_attached_to_a_chat_run_reports_the_delivery_delay_from_each_message()
    {
        var report = await RunAsync("chat", "--pairs", "2", "--duration", "2s", "--webhook", "fast");

        AssertSane(report, ChatScenario.StepName);
        var timed = report.Target.Single(t => t.Source == Webhooks.WebhookReceiver.Source && t.Name == "deliveries timed");
        Assert.True(timed.Value > 0, "no message.created delivery reached the receiver");
        Assert.Equal(0, report.Target.Single(t => t.Name == "unreadable bodies").Value);
        var p50 = report.Target.Single(t => t.Name == "delivery delay p50").Value;
        var p99 = report.Target.Single(t => t.Name == "delivery delay p99").Value;
        Assert.True(p50 > 0 && p50 <= p99, $"delivery delay p50 {p50} ms, p99 {p99} ms");
    }

    [Fact]
    public async Task The_ceiling_search_steps_the_chat_rate_up_on_the_same_pairs_and_judges_every_step()
    {
        var (report, folder) = await CeilingCommand.RunAsync(
        [
            "chat", "--url", child.Gateway.Url.ToString(), "--operator-key", child.Gateway.OperatorKey, "--pairs", "2",
            "--start", "10", "--factor", "2", "--max-rate", "20", "--step-duration", "1s", "--warm-up", "0s",
            "--progress", "none", "--report-folder", Path.Combine(_folder, "ceiling"),
        ], CancellationToken.None);

        Assert.InRange(report.Steps.Count, 1, 2);
        Assert.Equal(10, report.Steps[0].OfferedPerSecond);
        Assert.All(report.Steps, s => Assert.Equal(s.Sent, s.Delivered + s.Failed));
        Assert.True(report.Steps[0].Delivered > 0);
        Assert.True(File.Exists(Path.Combine(folder!, "ceiling.md")));
        Assert.Equal(report.SustainedCeiling, CeilingReport.Read(folder!).SustainedCeiling);
    }

    [Fact]
    public async Task Connections_are_held_and_pinged_and_the_gateway_memory_per_connection_is_reported()
    {
        var report = await RunAsync("connections", "--connections", "40", "--ping-interval", "1", "--duration", "3s");

        AssertSane(report, ConnectionsScenario.StepName);
        Assert.Equal(40, report.Prewarm!.Copies);
        Assert.True(report.Prewarm.CopiesPerSecond > 0);
        Assert.Contains(report.Target, t => t.Name == "peak connections (/health)" && t.Value >= 40);
        AssertMemoryPerConnectionReported(report);
    }

    [Fact]
    public async Task Presence_changes_reach_the_observer()
    {
        var report = await RunAsync("presence", "--agents", "2", "--duration", "2s");

        AssertSane(report, PresenceScenario.StepName);
    }

    [Fact]
    public async Task Short_retention_conversations_are_purged_and_counted()
    {
        var report = await RunAsync("retention", "--concurrency", "3", "--retention", "1", "--duration", "4s");

        var purge = report.Steps.Single(s => s.Name == RetentionScenario.PurgeStep);
        Assert.True(purge.Ok > 0, "no conversation was seen purged");
        Assert.Equal(0, purge.Failed);
        Assert.True(report.Steps.Single(s => s.Name == RetentionScenario.CreateStep).Ok >= purge.Ok);
    }

    private async Task<RunReport> RunAsync(string scenario, params string[] load)
    {
        var definition = ScenarioCatalog.Find(scenario)!;
        var settings = CommandLine.Parse(definition,
        [
            "--url", child.Gateway.Url.ToString(), "--operator-key", child.Gateway.OperatorKey,
            "--gateway-pid", child.Gateway.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--progress", "none", "--report-folder", Path.Combine(_folder, scenario), .. load,
        ]);
        var outcome = await RunCommand.ExecuteAsync(definition, settings, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(outcome.ReportFolder!, "report.md")));
        return outcome.Report;
    }

    /// <summary>
    /// The measurement is there and is a number. Its sign is not checked: with a few dozen sockets the RSS difference is
    /// GC timing (a collection during the run makes it negative); the benchmark's 19,000 connections give the figure.
    /// </summary>
    private static void AssertMemoryPerConnectionReported(RunReport report) =>
        Assert.Contains(report.Target, t => t.Name == "memory per connection" && t.Unit == "KiB" && double.IsFinite(t.Value));

    private static void AssertSane(RunReport report, string stepName)
    {
        var step = report.Steps.Single(s => s.Name == stepName);
        Assert.True(step.Ok > 0, $"{stepName}: no successful execution");
        Assert.True(step.Failed == 0, $"{stepName}: failures {string.Join(", ", step.Errors.Select(e => $"{e.Code}×{e.Count}"))}");
        var l = step.Latency;
        Assert.True(l.MinMs > 0 && l.MinMs <= l.P50Ms && l.P50Ms <= l.P99Ms && l.P99Ms <= l.MaxMs * 1.001 + 0.001, $"{stepName}: latencies out of order");
        Assert.True(step.BytesSent > 0 && step.BytesReceived > 0, $"{stepName}: no bytes counted");
        Assert.Empty(report.CopyInitFailures);
        Assert.Contains(report.Target, t => t.Name == "peak connections (/health)");
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
