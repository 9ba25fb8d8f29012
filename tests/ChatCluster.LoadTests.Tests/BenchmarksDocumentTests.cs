using ChatCluster.LoadTests.Ceiling;
using ChatCluster.LoadTests.Reporting;

namespace ChatCluster.LoadTests.Tests;

public sealed class BenchmarksDocumentTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"benchmarks-{Guid.NewGuid():N}.md");

    [Fact]
    public async Task Regenerating_keeps_the_hand_written_text_and_replaces_only_the_generated_results()
    {
        await File.WriteAllTextAsync(_path,
            "# Benchmarks\n\nWhat limits each number, written by hand.\n\n" + BenchmarksDocument.Begin + "\nold numbers\n" + BenchmarksDocument.End + "\n\nTrailing notes.\n");

        await BenchmarksDocument.WriteAsync(_path, [], "loadtests benchmarks --duration 20s");

        var text = await File.ReadAllTextAsync(_path);
        Assert.Contains("What limits each number, written by hand.", text);
        Assert.Contains("Trailing notes.", text);
        Assert.DoesNotContain("old numbers", text);
        Assert.Contains("by `loadtests benchmarks --duration 20s`", text);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, "benchmarks:results:begin"));
    }

    [Fact]
    public void Ceilings_are_published_as_ratios_of_sustained_ceilings_with_every_step()
    {
        static CeilingStep Step(double offered, bool sustained) =>
            new(offered, 10, (long)offered * 10, (long)offered * 10, 0, offered, 0, 1, 2, 3, 1, 1, sustained, sustained ? [] : ["p99 300 ms"], [], []);
        static CeilingReport Search(string label, params CeilingStep[] steps) =>
            new(label, label + " title", "ceiling …", DateTimeOffset.UtcNow, "1 1 1", MachineInfo.Current(), "plan", "criteria", [], [.. steps], []);

        var text = BenchmarksDocument.Render([], "loadtests benchmarks", [],
        [
            Search(BenchmarksDocument.RelayLabel, Step(1000, true), Step(2000, true), Step(4000, false)),
            Search(BenchmarksDocument.SignalRLabel, Step(1000, true), Step(2000, false)),
            Search("ChatCluster chat (MessagePack)", Step(1000, true), Step(2000, false), Step(4000, false)),
        ]);

        Assert.Contains("| ChatCluster chat (MessagePack) | 1000 | 1000 | 1.000 / 2.000 | 0.50× | 1.00× |", text);
        Assert.Contains("| relay baseline | 2000 |", text);
        Assert.Contains("| 4000 | 4000 | 0 | 1.000 | 2.000 | 1.000 → 1.000 | no | p99 300 ms |", text);
    }

    public void Dispose() => File.Delete(_path);
}
