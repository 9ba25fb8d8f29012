using ChatCluster.LoadTests.Distributed;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Network;
using ChatCluster.LoadTests.Progress;
using ChatCluster.LoadTests.Reporting;
using ChatCluster.LoadTests.Running;
using ChatCluster.LoadTests.Scenarios;
using Spectre.Console;

namespace ChatCluster.LoadTests.Cli;

public sealed record RunOutcome(RunReport Report, string? ReportFolder);

/// <summary>`&lt;scenario&gt; [options]`: provide targets, check they are loopback, run (here or over workers), report.</summary>
public static class RunCommand
{
    public static async Task<RunOutcome> ExecuteAsync(IScenarioDefinition definition, RunSettings settings, CancellationToken cancellationToken, IAnsiConsole? console = null)
    {
        console ??= AnsiConsole.Console;
        // Fail on a foreign target before starting anything.
        foreach (var url in settings.Urls) await LoopbackGuard.EnsureLoopbackAsync(url, cancellationToken);
        // Validate options, duration and the per-process socket limit (worker 0's share) before any server starts.
        _ = new ScenarioRunner(definition.Build(settings), settings with { WorkerIndex = 0, WorkerCount = settings.Workers }, new SilentProgress());

        await using var lease = await definition.ProvideTargetsAsync(settings, cancellationToken);
        var options = new Dictionary<string, string>(settings.ScenarioOptions, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in lease.Options) options[name] = value;
        settings = settings with { Urls = lease.Urls, ScenarioOptions = options };
        foreach (var url in settings.Urls) await LoopbackGuard.EnsureLoopbackAsync(url, cancellationToken);

        RunData data;
        await using (var progress = ProgressSinks.Create(settings.Progress))
        {
            if (settings.Workers > 1)
            {
                data = await Coordinator.RunAsync(settings with { WorkerCount = settings.Workers }, progress, cancellationToken);
            }
            else
            {
                var runner = new ScenarioRunner(definition.Build(settings), settings, progress);
                data = await runner.RunAsync(null, cancellationToken);
            }
        }

        var report = RunReport.Build(data, settings, $"{definition.Name} → {lease.Label}");
        if (lease.Measure is not null) report = report with { Target = await lease.Measure() };
        string? folder = null;
        if (settings.WriteReport)
        {
            folder = settings.ReportFolder ?? ReportWriter.DefaultFolder(definition.Name);
            await ReportWriter.WriteAsync(report, folder);
        }
        if (settings.Progress != ProgressMode.None)
        {
            ReportWriter.PrintSummary(report, console);
            if (folder is not null) console.MarkupLine($"reports: [link]{Markup.Escape(Path.GetFullPath(folder))}[/]");
        }
        return new RunOutcome(report, folder);
    }
}
