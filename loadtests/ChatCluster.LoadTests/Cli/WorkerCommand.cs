using System.Text.Json;
using ChatCluster.LoadTests.Distributed;
using ChatCluster.LoadTests.Progress;
using ChatCluster.LoadTests.Running;
using ChatCluster.LoadTests.Scenarios;

namespace ChatCluster.LoadTests.Cli;

/// <summary>`worker &lt;scenario&gt; …`: runs this process's share for a coordinator (internal).</summary>
public static class WorkerCommand
{
    public static async Task<int> ExecuteAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        if (args.Count == 0 || ScenarioCatalog.Find(args[0]) is not { } definition) throw new UsageException("worker: unknown scenario.");
        var settings = CommandLine.Parse(definition, args.Skip(1).ToList(), workerMode: true) with { Progress = Model.ProgressMode.Worker };
        foreach (var url in settings.Urls) await Network.LoopbackGuard.EnsureLoopbackAsync(url, cancellationToken);

        using var coordinatorGone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Standard input carries "go"; its end means the coordinator is gone, so the worker stops too.
        _ = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync(CancellationToken.None) is { } line)
                if (line.Trim() == Coordinator.GoLine) go.TrySetResult();
            go.TrySetCanceled();
            coordinatorGone.Cancel();
        }, CancellationToken.None);

        await using var progress = new WorkerProgress(Console.Out);
        var runner = new ScenarioRunner(definition.Build(settings), settings, progress);
        var data = await runner.RunAsync(async ct =>
        {
            Console.Out.WriteLine(Coordinator.ReadyLine);
            Console.Out.Flush();
            await go.Task.WaitAsync(TimeSpan.FromMinutes(5), ct);
        }, coordinatorGone.Token);
        await File.WriteAllTextAsync(settings.ResultFile!, JsonSerializer.Serialize(data, ReportJson.Options), CancellationToken.None);
        return 0;
    }
}
