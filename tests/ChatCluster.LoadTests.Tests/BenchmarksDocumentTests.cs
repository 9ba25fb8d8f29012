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

    public void Dispose() => File.Delete(_path);
}
