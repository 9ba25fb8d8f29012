using System.Diagnostics;
using System.Globalization;
using ChatCluster.LoadTests.Cluster;
using ChatCluster.LoadTests.Gateway;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Network;

namespace ChatCluster.LoadTests.Drill;

/// <summary>What the drill is asked to do (issue 16 item 5): pairs, pace, which silo to kill, how long to watch, trials.</summary>
public sealed record DrillOptions(
    int Pairs = 30,
    TimeSpan? Interval = null,
    string Kill = "busiest",
    TimeSpan? Before = null,
    TimeSpan? Observe = null,
    int Trials = 1,
    WireEncoding Encoding = WireEncoding.Json,
    string Postgres = ScratchDatabase.DefaultServer,
    TimeSpan? AckTimeout = null)
{
    public TimeSpan SendInterval => Interval ?? TimeSpan.FromMilliseconds(200);
    public TimeSpan ChatBefore => Before ?? TimeSpan.FromSeconds(10);
    public TimeSpan ObserveAfter => Observe ?? TimeSpan.FromSeconds(30);

    /// <summary>How long a send may wait for its ack (re-sent with the same clientMessageId on a retryable error) before it counts as not acknowledged.</summary>
    public TimeSpan AckWait => AckTimeout ?? TimeSpan.FromSeconds(30);

    /// <summary>Recovery bar of issue 16: every pair delivers again within this long after the kill.</summary>
    public static readonly TimeSpan RecoveryBar = TimeSpan.FromSeconds(5);
}

/// <summary>One kill: which silo, how many activations it held, and each pair's time to its next delivered message.</summary>
public sealed record DrillTrial(int Trial, string KilledSilo, double? KilledSiloActivations, string Choice, List<double?> RecoverySeconds)
{
    public int Recovered => RecoverySeconds.Count(r => r is not null);
    public int WithinBar => RecoverySeconds.Count(r => r <= DrillOptions.RecoveryBar.TotalSeconds);
}

/// <summary>The drill's outcome: per trial recovery and, over the whole run, acknowledged versus delivered.</summary>
public sealed record DrillReport(
    string Command,
    DateTimeOffset StartedUtc,
    string LoadAverageAtStart,
    string LoadAverageAtEnd,
    int Pairs,
    double IntervalMs,
    List<DrillTrial> Trials,
    long Sent,
    long Acknowledged,
    long Refused,
    Dictionary<string, long> Errors,
    long AckedMissingAtReceiver,
    long AckedMissingAtSender,
    long Duplicates,
    long OutOfOrder,
    int SocketsClosed,
    int SiloFailureLines);

/// <summary>
/// The kill-a-silo drill (issue 16 item 5): two PostgreSQL-mode silos and two Client-mode gateways (child processes on
/// a scratch database), pairs chatting across the gateways (visitor on one, agent on the other) every --interval, then
/// SIGKILL (kill -9) of the silo with the most activations (or the one named), watched for --observe. A client that
/// follows docs/protocol.md re-sends an unacknowledged message with the same clientMessageId when told to retry.
/// Reported: each pair's time to its next delivered message after the kill, and whether every acknowledged message
/// reached every open socket of its conversation (the receiver's and the sender's own), duplicates, order.
/// </summary>
public static class SiloKillDrill
{
    public static async Task<DrillReport> RunAsync(DrillOptions options, Action<string> log, string command, CancellationToken cancellationToken)
    {
        if (options.Pairs is < 1 or > 2000) throw new ArgumentException("--pairs must be 1..2000.");
        if (options.Trials is < 1 or > 10) throw new ArgumentException("--trials must be 1..10.");
        var loadAtStart = Reporting.MachineInfo.Current().LoadAverage;
        var startedUtc = DateTimeOffset.UtcNow;
        var runId = Guid.NewGuid().ToString("N")[..8];
        // Bounded: the whole drill, trials included, ends within this even if a process hangs.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromMinutes(5) + options.Trials * (options.ChatBefore + options.ObserveAfter + options.AckWait + TimeSpan.FromMinutes(2)));
        var ct = bounded.Token;

        log($"drill: starting 2 PostgreSQL-mode silos and 2 Client-mode gateways on a scratch database …");
        await using var cluster = await PostgresCluster.StartAsync(options.Postgres, runId, silos: 2, gateways: 2,
            new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" }, ct);
        using var connector = new LoopbackConnector([]);
        var context = new ScenarioContext(new RunSettings
        {
            Scenario = "drill",
            RunId = runId,
            Urls = cluster.Gateways.Select(g => g.Url).ToList(),
            ScenarioOptions = new Dictionary<string, string> { [GatewayTargets.OperatorKey.Name] = cluster.Gateways[0].OperatorKey }
        }, connector, ct, log);
        var tenants = await GatewayTargets.CreateTenantsAsync(context, (options.Pairs + 19) / 20);
        var pairs = await OpenPairsAsync(context, cluster, tenants, options, ct);
        log($"drill: {pairs.Count} pairs open, chatting every {options.SendInterval.TotalMilliseconds:0} ms");

        using var stopSending = new CancellationTokenSource();
        var sends = new List<Task>();
        var senders = pairs.Select((pair, i) => Task.Run(() => SendLoopAsync(pair, options, i, sends, stopSending.Token, ct), CancellationToken.None)).ToList();
        var trials = new List<DrillTrial>();
        try
        {
            for (var trial = 1; trial <= options.Trials; trial++)
            {
                await Task.Delay(options.ChatBefore, ct);
                var (victim, activations, choice) = await ChooseAsync(cluster, options.Kill, ct);
                log($"drill trial {trial}: kill -9 {victim.Name} (pid {victim.ProcessId}; {choice}) …");
                var killedAt = Stopwatch.GetTimestamp();
                await victim.KillAsync();
                await Task.Delay(options.ObserveAfter, ct);
                var recovery = pairs.Select(p => p.RecoveredAfter(killedAt) is { } t && t <= options.ObserveAfter ? (double?)Math.Round(t.TotalSeconds, 3) : null).ToList();
                var result = new DrillTrial(trial, victim.Name, activations, choice, recovery);
                trials.Add(result);
                log(string.Create(CultureInfo.InvariantCulture,
                    $"drill trial {trial}: {result.Recovered}/{pairs.Count} pairs delivered again within {options.ObserveAfter.TotalSeconds:0} s, {result.WithinBar} within {DrillOptions.RecoveryBar.TotalSeconds:0} s; slowest {recovery.Max() ?? double.NaN:0.###} s"));
                cluster.Silos.Remove(victim);
                await victim.DisposeAsync();
                if (trial < options.Trials)
                {
                    log("drill: starting a replacement silo …");
                    await cluster.StartSiloAsync(ct);
                }
            }
        }
        finally
        {
            await stopSending.CancelAsync();
            await Task.WhenAll(senders);
            Task[] pending;
            lock (sends) pending = [.. sends];
            // Acks still outstanding get their full wait; then late deliveries a few seconds more.
            await Task.WhenAny(Task.WhenAll(pending), Task.Delay(options.AckWait + TimeSpan.FromSeconds(5), CancellationToken.None));
            await Task.Delay(TimeSpan.FromSeconds(3), CancellationToken.None);
        }

        var report = Summarise(options, pairs, trials, command, startedUtc, loadAtStart, cluster.Silos.Sum(s => s.FailureLines().Count));
        foreach (var pair in pairs) await pair.DisposeAsync();
        return report;
    }

    private static async Task<List<DrillPair>> OpenPairsAsync(ScenarioContext context, PostgresCluster cluster, IReadOnlyList<LoadTenant> tenants, DrillOptions options, CancellationToken ct)
    {
        var pairs = new DrillPair[options.Pairs];
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(Enumerable.Range(0, options.Pairs).Select(async i =>
        {
            await gate.WaitAsync(ct);
            try
            {
                var tenant = tenants[Math.Min(i / 20, tenants.Count - 1)];
                // Visitor and agent on different gateways: every message crosses the cluster.
                var visitorGateway = cluster.Gateways[i % cluster.Gateways.Count].Url;
                var agentGateway = cluster.Gateways[(i + 1) % cluster.Gateways.Count].Url;
                var (visitor, _) = await GatewayTargets.VisitorAsync(context, visitorGateway, options.Encoding, tenant.SiteKey, ct);
                var started = await visitor.RequestAsync("started", ct, ("type", "start"));
                var (agent, _) = await GatewayTargets.AgentAsync(context, agentGateway, options.Encoding, tenant.OwnerToken, ct);
                await agent.RequestAsync("history", ct, ("type", "join"), ("conversationId", started.ConversationId), ("afterSeq", 0L));
                var pair = new DrillPair(i, visitor, agent, started.ConversationId!);
                pair.Listen();
                pairs[i] = pair;
            }
            finally { gate.Release(); }
        }));
        return [.. pairs];
    }

    private static async Task SendLoopAsync(DrillPair pair, DrillOptions options, int offset, List<Task> sends, CancellationToken stop, CancellationToken ct)
    {
        // Spread the pairs' ticks over the interval so the cluster sees a steady rate, not bursts.
        try { await Task.Delay(options.SendInterval * (offset % 10) / 10, stop); }
        catch (OperationCanceledException) { return; }
        using var timer = new PeriodicTimer(options.SendInterval);
        var n = 0;
        try
        {
            do
            {
                var fromVisitor = n % 2 == 0;
                var message = new DrillMessage($"d{pair.Index}-{n++}", fromVisitor, Stopwatch.GetTimestamp());
                pair.Sent.Enqueue(message);
                var send = SendAsync(pair, message, options, ct);
                lock (sends) sends.Add(send);
            } while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Send, and on a retryable error (unavailable, rate_limited, internal_error) re-send with the same clientMessageId until acked or the ack wait is over.</summary>
    private static async Task SendAsync(DrillPair pair, DrillMessage message, DrillOptions options, CancellationToken ct)
    {
        var sender = message.FromVisitor ? pair.Visitor : pair.Agent;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(options.AckWait);
        while (true)
        {
            Interlocked.Increment(ref message.Attempts);
            try
            {
                await sender.RequestAsync("ack", wait.Token, ("type", "send"), ("conversationId", pair.ConversationId),
                    ("clientMessageId", message.ClientMessageId), ("text", "drill " + message.ClientMessageId));
                Interlocked.Exchange(ref message.AckedAt, Stopwatch.GetTimestamp());
                message.Error = null;
                return;
            }
            catch (GatewayErrorException ex) when (ex.Code is "unavailable" or "rate_limited" or "internal_error" && !wait.IsCancellationRequested)
            {
                message.Error = "gateway:" + ex.Code;
                try { await Task.Delay(TimeSpan.FromMilliseconds(250), wait.Token); }
                catch (OperationCanceledException) { message.Error ??= Running.ErrorCodes.NoAck; return; }
            }
            catch (GatewayErrorException ex)
            {
                message.Error = "gateway:" + ex.Code;
                return;
            }
            catch (OperationCanceledException)
            {
                message.Error = Running.ErrorCodes.NoAck;
                return;
            }
            catch (Exception ex)
            {
                message.Error = Running.ErrorCodes.From(ex);
                return;
            }
        }
    }

    /// <summary>The silo with the most activations (Orleans' catalog gauge on its /metrics), or the one named by --kill 1|2.</summary>
    private static async Task<(SiloProcess Silo, double? Activations, string Choice)> ChooseAsync(PostgresCluster cluster, string kill, CancellationToken ct)
    {
        var live = cluster.Silos.Where(s => !s.HasExited).ToList();
        if (int.TryParse(kill, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            var named = live.ElementAtOrDefault(n - 1) ?? throw new ArgumentException($"--kill {kill}: there are {live.Count} silos.");
            return (named, await ActivationsAsync(named, ct), "chosen by --kill");
        }
        var counted = new List<(SiloProcess Silo, double? Activations)>();
        foreach (var silo in live) counted.Add((silo, await ActivationsAsync(silo, ct)));
        var busiest = counted.Where(c => c.Activations is not null).OrderByDescending(c => c.Activations).FirstOrDefault();
        return busiest.Silo is null
            ? (live[0], null, "most activations unknown (no catalog gauge on /metrics): the first silo")
            : (busiest.Silo, busiest.Activations, "most activations: " + string.Join(", ", counted.Select(c => $"{c.Silo.Name} {c.Activations}")));
    }

    /// <summary>Sum of Orleans' activation-count gauge on the silo's Prometheus endpoint, or null when it has none.</summary>
    public static async Task<double?> ActivationsAsync(SiloProcess silo, CancellationToken ct)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var text = await http.GetStringAsync(silo.MetricsUrl, ct);
            return ActivationsIn(text);
        }
        catch (HttpRequestException) { return null; }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { return null; }
    }

    /// <summary>Reads <c>orleans_catalog_activations</c> (Prometheus text format; labelled series summed).</summary>
    public static double? ActivationsIn(string prometheusText)
    {
        double? total = null;
        foreach (var line in prometheusText.Split('\n'))
        {
            if (!line.StartsWith("orleans_catalog_activations", StringComparison.Ordinal)) continue;
            var brace = line.LastIndexOf('}');
            var name = brace >= 0 ? line[..line.IndexOf('{')] : line.Split(' ')[0];
            if (name is not ("orleans_catalog_activations" or "orleans_catalog_activations_total")) continue;
            // "name{labels} value [timestamp]" or "name value [timestamp]".
            var rest = (brace >= 0 ? line[(brace + 1)..] : line[name.Length..]).Trim();
            var at = rest.Split(' ')[0];
            if (double.TryParse(at, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) total = (total ?? 0) + v;
        }
        return total;
    }

    private static DrillReport Summarise(DrillOptions options, List<DrillPair> pairs, List<DrillTrial> trials, string command, DateTimeOffset startedUtc, string loadAtStart, int failureLines)
    {
        long sent = 0, acked = 0, refused = 0, missingReceiver = 0, missingSender = 0;
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        var closed = 0;
        foreach (var pair in pairs)
        {
            var visitorOpen = pair.Visitor.IsOpen;
            var agentOpen = pair.Agent.IsOpen;
            closed += (visitorOpen ? 0 : 1) + (agentOpen ? 0 : 1);
            foreach (var m in pair.Sent)
            {
                sent++;
                if (Interlocked.Read(ref m.AckedAt) == 0)
                {
                    refused++;
                    var code = m.Error ?? Running.ErrorCodes.NoAck;
                    errors[code] = errors.GetValueOrDefault(code) + 1;
                    continue;
                }
                acked++;
                var (receiverGot, receiverOpen, senderGot, senderOpen) = m.FromVisitor
                    ? (pair.AgentReceived, agentOpen, pair.VisitorReceived, visitorOpen)
                    : (pair.VisitorReceived, visitorOpen, pair.AgentReceived, agentOpen);
                // Only open sockets owe delivery: a closed one would resume (docs/protocol.md §5).
                if (receiverOpen && !receiverGot.ContainsKey(m.ClientMessageId)) missingReceiver++;
                if (senderOpen && !senderGot.ContainsKey(m.ClientMessageId)) missingSender++;
            }
        }
        return new DrillReport(command, startedUtc, loadAtStart, Reporting.MachineInfo.Current().LoadAverage, pairs.Count, options.SendInterval.TotalMilliseconds,
            trials, sent, acked, refused, errors, missingReceiver, missingSender,
            pairs.Sum(p => (long)p.Duplicates), pairs.Sum(p => (long)p.OutOfOrder), closed, failureLines);
    }
}
