using ChatCluster.LoadTests.Cli;
using ChatCluster.LoadTests.Drill;

namespace ChatCluster.LoadTests.Tests;

/// <summary>
/// The kill-a-silo drill of the harness: two PostgreSQL-mode silos and two Client-mode gateways on a scratch database,
/// pairs chatting across gateways, SIGKILL of the busiest silo. The smoke run checks the drill measures and accounts
/// for every message (not the cluster's recovery: that bar belongs to the drill's report, not to a unit test).
/// </summary>
public sealed class DrillTests
{
    [Fact]
    public async Task The_drill_kills_a_silo_under_chat_and_accounts_for_every_message_and_every_pair()
    {
        var lines = new List<string>();

        var (report, folder) = await DrillCommand.RunAsync(
            ["--pairs", "2", "--before", "3s", "--observe", "6s", "--ack-timeout", "6s", "--postgres", PostgresTargetSmokeTests.Server, "--no-report"],
            line => { lock (lines) lines.Add(line); }, CancellationToken.None);

        Assert.Null(folder);
        var trial = Assert.Single(report.Trials);
        Assert.StartsWith("silo", trial.KilledSilo);
        Assert.Equal(2, trial.RecoverySeconds.Count);
        Assert.True(report.Acknowledged > 0, "nothing was acknowledged before the kill");
        Assert.Equal(report.Sent, report.Acknowledged + report.Refused);
        Assert.Equal(report.Refused, report.Errors.Values.Sum());
        Assert.Contains(lines, l => l.Contains("kill -9", StringComparison.Ordinal));
        Assert.Contains("| acknowledged |", DrillMarkdown.Render(report));
    }

    [Fact]
    public void The_busiest_silo_is_read_from_the_orleans_activation_gauge_on_its_metrics_endpoint()
    {
        const string scrape = """
            # TYPE orleans_catalog_activations gauge
            orleans_catalog_activations{otel_scope_name="Microsoft.Orleans"} 47 1733590000000
            orleans_catalog_activations_created_total 90
            """;

        Assert.Equal(47, SiloKillDrill.ActivationsIn(scrape));
        Assert.Null(SiloKillDrill.ActivationsIn("dotnet_gc_heap_total_allocated_bytes_total 5"));
    }
}
