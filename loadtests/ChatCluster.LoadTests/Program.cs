using ChatCluster.LoadTests.Cli;
using ChatCluster.LoadTests.Network;
using ChatCluster.LoadTests.Scenarios;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    var command = args.Length == 0 ? "--help" : args[0];
    var rest = args.Skip(1).ToList();
    switch (command)
    {
        case "--help" or "-h" or "help":
            Console.Out.Write(CommandLine.Help());
            return 0;
        case "list":
            foreach (var scenario in ScenarioCatalog.All) Console.Out.WriteLine($"{scenario.Name}\t{scenario.Description}");
            return 0;
        case "baseline":
            return await BaselineCommand.ExecuteAsync(rest, cancel.Token);
        case "worker":
            return await WorkerCommand.ExecuteAsync(rest, cancel.Token);
        case "ceiling":
            return await CeilingCommand.ExecuteAsync(rest, cancel.Token);
        case "drill":
            return await DrillCommand.ExecuteAsync(rest, cancel.Token);
        case "benchmarks":
            return await BenchmarksCommand.ExecuteAsync(rest, cancel.Token);
        default:
            var definition = ScenarioCatalog.Find(command)
                ?? throw new UsageException($"Unknown scenario or command '{command}'. Scenarios: {string.Join(", ", ScenarioCatalog.All.Select(s => s.Name))}.");
            if (rest.Contains("--help") || rest.Contains("-h"))
            {
                Console.Out.Write(CommandLine.Help());
                return 0;
            }
            var outcome = await RunCommand.ExecuteAsync(definition, CommandLine.Parse(definition, rest), cancel.Token);
            return outcome.Report.Iterations.Ok > 0 ? 0 : 1;
    }
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine("Run with --help for scenarios and options.");
    return 2;
}
catch (NotLoopbackException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 3;
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled.");
    return 130;
}
