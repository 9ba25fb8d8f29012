using System.Collections.Concurrent;
using ChatCluster.LoadTests.Gateway;
using ChatCluster.LoadTests.Model;

namespace ChatCluster.LoadTests.Scenarios;

/// <summary>
/// N widget connections (connect + visitor hello) opened before the clock starts and held for the whole
/// run. Each process pings all of its sockets once per --ping-interval (below the gateway's 75 s idle
/// timeout) in the background; the measured step is a ping → pong round trip on one connection at a time,
/// at connections / ping-interval per second, so every connection is exercised. The report adds the
/// connect rate (prewarm) and the gateway's connections and memory per connection.
/// </summary>
public sealed class ConnectionsScenario : IScenarioDefinition
{
    public const string StepName = "ping";
    private const string KeepAliveItem = "connections.keepalive";

    public string Name => "connections";

    public string Description =>
        "N concurrent widget connections (hello + periodic ping) held for --duration; connect rate, ping round trip, " +
        "gateway memory per connection. Starts the embedded default as a child process unless --url is given. Copies are connections.";

    public IReadOnlyList<ScenarioOption> Options { get; } = GatewayTargets.OptionsWith(
        new ScenarioOption("connections", "widget connections held open (spread over --workers; ≤ 19,000 per process)", "1000"),
        new ScenarioOption("ping-interval", "seconds between two pings of one connection (the gateway closes after 75 s of silence)", "20"));

    public Task<TargetLease> ProvideTargetsAsync(RunSettings settings, CancellationToken cancellationToken) =>
        GatewayTargets.ProvideAsync(settings, new Dictionary<string, string>(), cancellationToken);

    public Scenario Build(RunSettings settings)
    {
        var connections = settings.IntOption("connections");
        var interval = TimeSpan.FromSeconds(settings.DoubleOption("ping-interval"));
        var encoding = GatewayTargets.EncodingOf(settings);
        if (connections < 1) throw new ArgumentException("--connections must be at least 1.");
        if (interval < TimeSpan.FromSeconds(1) || interval > TimeSpan.FromSeconds(60)) throw new ArgumentException("--ping-interval must be 1..60 seconds.");
        if (settings.Rate is not null || settings.Concurrency is not null) throw new ArgumentException("connections: the load is --connections (pinged every --ping-interval); --rate and --concurrency do not apply.");

        var ping = new Step(StepName, async ctx =>
        {
            var socket = ctx.Copy.GetState<GatewaySocket>();
            var sent = socket.BytesSent;
            var received = socket.BytesReceived;
            await socket.RequestAsync("pong", ctx.CancellationToken, ("type", "ping"));
            return StepResult.Ok(socket.BytesSent - sent, socket.BytesReceived - received);
        })
        { Timeout = settings.StepTimeout };

        return new Scenario(Name, [ping])
        {
            Init = async context =>
            {
                await GatewayTargets.CreateTenantAsync(context);
                context.Items[KeepAliveItem] = new KeepAlive(interval, context.Aborted);
            },
            Clean = async context =>
            {
                if (context.Items.TryGetValue(KeepAliveItem, out var keepAlive)) await ((KeepAlive)keepAlive).DisposeAsync();
            },
            InitCopy = async (copy, ct) =>
            {
                var context = copy.Scenario;
                var (socket, _) = await GatewayTargets.VisitorAsync(context, context.Settings.TargetFor(copy.GlobalCopyNumber), encoding, ct);
                ((KeepAlive)context.Items[KeepAliveItem]).Add(socket);
                copy.State = socket;
            },
            CleanCopy = async copy =>
            {
                if (copy.State is not GatewaySocket socket) return;
                if (copy.Scenario.Items.TryGetValue(KeepAliveItem, out var keepAlive)) ((KeepAlive)keepAlive).Remove(socket);
                await socket.DisposeAsync();
            },
            // One ping per connection per interval, FIFO over the copies: each is measured about once per interval.
            LoadSimulations = [LoadSimulation.Inject(connections / interval.TotalSeconds, TimeSpan.FromSeconds(1), settings.Duration)],
            PrewarmCopies = connections,
            MaxCopies = connections,
            // Connect + hello of thousands of sockets on a shared 2-core machine: allow ~100/s per process, within the coordinator's 4 minutes.
            PrewarmBudget = TimeSpan.FromSeconds(Math.Clamp(connections / Math.Max(1, settings.Workers) / 100.0, 120, 220)),
        };
    }

    /// <summary>Pings every socket of this process once per interval, spread evenly, so none reaches the idle timeout.</summary>
    private sealed class KeepAlive : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<GatewaySocket, byte> _sockets = new();
        private readonly CancellationTokenSource _stop;
        private readonly Task _loop;

        public KeepAlive(TimeSpan interval, CancellationToken aborted)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            _loop = LoopAsync(interval, _stop.Token);
        }

        public void Add(GatewaySocket socket) => _sockets.TryAdd(socket, 0);

        public void Remove(GatewaySocket socket) => _sockets.TryRemove(socket, out _);

        private async Task LoopAsync(TimeSpan interval, CancellationToken stop)
        {
            const int Slices = 20;
            using var timer = new PeriodicTimer(interval / Slices);
            var slice = 0;
            try
            {
                while (await timer.WaitForNextTickAsync(stop))
                {
                    var current = slice++ % Slices;
                    var index = 0;
                    foreach (var socket in _sockets.Keys)
                    {
                        if (index++ % Slices != current || !socket.IsOpen) continue;
                        try { await socket.SendAsync([("type", "ping")], stop); }
                        catch (Exception ex) when (ex is not OperationCanceledException) { /* the step's ping reports broken sockets */ }
                    }
                }
            }
            catch (OperationCanceledException) { }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }
}
