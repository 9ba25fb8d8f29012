using ChatCluster.LoadTests.Baselines;

namespace ChatCluster.LoadTests.Cli;

/// <summary>`baseline &lt;relay|signalr&gt; [--port N] [--stop-on-stdin-eof] [--max-lifetime 2h]`.</summary>
public static class BaselineCommand
{
    public static async Task<int> ExecuteAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        if (args.Count == 0) throw new UsageException("baseline: say which one, relay or signalr.");
        var kind = args[0].ToLowerInvariant() switch
        {
            "relay" => BaselineKind.Relay,
            "signalr" => BaselineKind.SignalR,
            _ => throw new UsageException($"baseline: '{args[0]}' is neither relay nor signalr."),
        };
        var port = 0;
        var stopOnEof = false;
        var lifetime = TimeSpan.FromHours(2);
        for (var i = 1; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--port" when i + 1 < args.Count: port = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--stop-on-stdin-eof": stopOnEof = true; break;
                case "--max-lifetime" when i + 1 < args.Count: lifetime = CommandLine.Time(args[++i], "max-lifetime", max: TimeSpan.FromHours(24)); break;
                default: throw new UsageException($"baseline: unexpected '{args[i]}'.");
            }
        }

        await using var server = await BaselineServer.StartAsync(kind, port, cancellationToken);
        Console.Out.WriteLine(BaselineProcess.ListeningPrefix + server.BaseUrl);
        Console.Out.WriteLine($"# {kind} baseline: {server.RelayUrl} (metrics: {new Uri(server.BaseUrl, "/metrics")}); stops after {lifetime} at most.");
        Console.Out.Flush();
        // Bounded: ends on Ctrl+C, at the end of standard input (when a harness started it), or after its lifetime.
        var stopped = Task.Delay(lifetime, cancellationToken);
        if (stopOnEof) stopped = Task.WhenAny(stopped, Task.Run(async () => { while (await Console.In.ReadLineAsync(CancellationToken.None) is not null) { } }, CancellationToken.None));
        try { await stopped; }
        catch (OperationCanceledException) { }
        return 0;
    }
}
