using ChatCluster.LoadTests.Baselines;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Running;

namespace ChatCluster.LoadTests.Scenarios;

/// <summary>
/// Pairs of clients exchanging messages through a relay; one step per message, alternating direction,
/// measured END TO END (the sender's timestamp in the payload to the other party's receipt). Open model
/// (--rate): messages start on schedule with several in flight per pair (--in-flight), exactly as in `chat`.
/// Against either baseline, so ChatCluster's chat scenario can be reported as ratios to both.
/// </summary>
public sealed class RelayScenario : IScenarioDefinition
{
    public const string StepName = "relay message";

    public string Name => "relay";

    public string Description =>
        "Pairs of clients exchange messages through a baseline relay (bare Kestrel WebSocket or SignalR hub); " +
        "end-to-end latency. Starts the baseline itself unless --url is given. Copies are pairs; --rate is messages/s in total.";

    public IReadOnlyList<ScenarioOption> Options { get; } =
    [
        new("baseline", "relay | signalr: the protocol spoken, and the server started when no --url is given", "relay"),
        new("pairs", "client pairs (each pair = one copy holding two sockets)", "50"),
        new("message-size", "payload bytes per message (16..65536)", "64"),
        InFlight.Option,
    ];

    public static BaselineKind Kind(RunSettings settings) => settings.Option("baseline").ToLowerInvariant() switch
    {
        "relay" => BaselineKind.Relay,
        "signalr" => BaselineKind.SignalR,
        var other => throw new ArgumentException($"--baseline must be relay or signalr, not '{other}'."),
    };

    public async Task<TargetLease> ProvideTargetsAsync(RunSettings settings, CancellationToken cancellationToken)
    {
        var kind = Kind(settings);
        var label = kind == BaselineKind.Relay ? "Kestrel relay baseline" : "SignalR baseline";
        if (settings.Urls.Count > 0) return new TargetLease(settings.Urls, label);
        var server = await BaselineProcess.StartAsync(kind, cancellationToken);
        return new TargetLease([server.RelayUrl], label + " (child process)", server);
    }

    public Scenario Build(RunSettings settings)
    {
        var kind = Kind(settings);
        var pairs = settings.IntOption("pairs");
        var messageSize = settings.IntOption("message-size");
        if (pairs < 1) throw new ArgumentException("--pairs must be at least 1.");
        if (messageSize is < RelayPayload.HeaderSize or > 65536) throw new ArgumentException($"--message-size must be {RelayPayload.HeaderSize}..65536.");
        if (settings.Concurrency is not null) throw new ArgumentException("relay: a copy is a pair; use --pairs instead of --concurrency.");

        var relay = new Step(StepName, async ctx =>
        {
            var pair = ctx.Copy.GetState<RelayPair>();
            var (sender, receiver) = ctx.Iteration % 2 == 0 ? (pair.A, pair.B) : (pair.B, pair.A);
            var arrival = receiver.Expect(ctx.Iteration);
            var sent = false;
            try
            {
                await sender.SendAsync(RelayPayload.Create(messageSize, ctx.Iteration), ctx.CancellationToken);
                sent = true;
                var latency = await arrival.WaitAsync(ctx.CancellationToken);
                return StepResult.Ok(bytesSent: messageSize, bytesReceived: messageSize, latency: latency);
            }
            catch (OperationCanceledException) when (ctx.CancellationToken.IsCancellationRequested && !ctx.Scenario.Aborted.IsCancellationRequested)
            {
                return StepResult.Fail(sent ? ErrorCodes.NoDelivery : ErrorCodes.NotSent);
            }
            finally { receiver.Forget(ctx.Iteration); }
        })
        { Timeout = settings.StepTimeout };

        return new Scenario(Name, [relay])
        {
            InitCopy = async (copy, ct) =>
            {
                var url = copy.Scenario.Settings.TargetFor(copy.GlobalCopyNumber);
                var connector = copy.Scenario.Connector;
                RelayPeer a = kind == BaselineKind.Relay
                    ? await WebSocketRelayPeer.ConnectAsync(connector, url, copy.CopyId, messageSize, ct)
                    : await SignalRRelayPeer.ConnectAsync(connector, url, copy.CopyId, ct);
                try
                {
                    RelayPeer b = kind == BaselineKind.Relay
                        ? await WebSocketRelayPeer.ConnectAsync(connector, url, copy.CopyId, messageSize, ct)
                        : await SignalRRelayPeer.ConnectAsync(connector, url, copy.CopyId, ct);
                    copy.State = new RelayPair(a, b);
                }
                catch
                {
                    await a.DisposeAsync();
                    throw;
                }
            },
            CleanCopy = async copy =>
            {
                if (copy.State is RelayPair pair) await pair.DisposeAsync();
            },
            LoadSimulations = ScenarioCatalog.DefaultLoad(settings, pairs),
            PrewarmCopies = pairs,
            MaxCopies = pairs,
            MaxInFlightPerCopy = InFlight.PerPair(settings, pairs),
            SocketsPerCopy = 2,
        };
    }

    private sealed record RelayPair(RelayPeer A, RelayPeer B) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }
}
