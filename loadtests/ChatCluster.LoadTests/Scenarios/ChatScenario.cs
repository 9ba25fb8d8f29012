using System.Diagnostics;
using System.Globalization;
using ChatCluster.LoadTests.Gateway;
using ChatCluster.LoadTests.Model;

namespace ChatCluster.LoadTests.Scenarios;

/// <summary>
/// V visitor/agent pairs chatting through ChatCluster. A copy is a pair: the visitor said hello and started a
/// conversation, the agent (its tenant's owner, logged in once per tenant over HTTP) said hello and joined it.
/// Pairs are spread over tenants as real sites are (--pairs-per-tenant, default 20; "all" puts every pair in one
/// busy tenant, whose agent sockets then each receive the inbox feed of every conversation). One iteration is one
/// message, alternating visitor → agent and agent → visitor; its text carries the sender's monotonic timestamp, and
/// the latency is END TO END: from just before the send to the other party's receipt of the <c>message</c> frame.
/// A message fails on an error frame (<c>gateway:&lt;code&gt;</c>), on no <c>ack</c> (<c>no_ack</c>) or on no delivery
/// (<c>no_delivery</c>) within the step timeout. Open model (--rate): messages start on schedule with several in
/// flight per pair (--in-flight), so the harness measures the gateway rather than its own round trips.
/// </summary>
public sealed class ChatScenario : IScenarioDefinition
{
    public const string StepName = "chat message";

    public string Name => "chat";

    public string Description =>
        "Visitor/agent pairs exchange messages through ChatCluster (JSON or MessagePack); end-to-end latency " +
        "(sender's send to the other party's `message` frame). Starts the embedded default unless --url is given (or --target postgres). " +
        "Copies are pairs, spread over tenants; --rate is messages/s in total, several in flight per pair. " +
        "--webhook fast|slow attaches a loopback webhook receiver and reports the delivery delay.";

    public IReadOnlyList<ScenarioOption> Options { get; } = GatewayTargets.OptionsWith(
        new ScenarioOption("pairs", "visitor/agent pairs (each pair = one copy holding two sockets)", "50"),
        new ScenarioOption(PairsPerTenant, "pairs per tenant (each its own site and owner), or 'all' for one busy tenant", "20"),
        new ScenarioOption("message-size", "characters of text per message (at least the 40 the timestamp needs; the gateway allows 16 KiB)", "64"),
        InFlight.Option,
        Webhooks.WebhookAttachment.Mode,
        Webhooks.WebhookAttachment.Delay,
        Webhooks.WebhookAttachment.Url);

    public const string PairsPerTenant = "pairs-per-tenant";

    public Task<TargetLease> ProvideTargetsAsync(RunSettings settings, CancellationToken cancellationToken) =>
        Webhooks.WebhookAttachment.ProvideAsync(settings, cancellationToken);

    /// <summary>Pairs per tenant from --pairs-per-tenant ("all" = every pair of the run in one tenant).</summary>
    public static int TenantSize(RunSettings settings, int pairs)
    {
        var value = settings.Option(PairsPerTenant);
        if (string.Equals(value, "all", StringComparison.OrdinalIgnoreCase)) return pairs;
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n
            : throw new ArgumentException($"--{PairsPerTenant} must be a whole number ≥ 1 or 'all', not '{value}'.");
    }

    public Scenario Build(RunSettings settings)
    {
        var pairs = settings.IntOption("pairs");
        var size = settings.IntOption("message-size");
        var encoding = GatewayTargets.EncodingOf(settings);
        if (pairs < 1) throw new ArgumentException("--pairs must be at least 1.");
        if (size is < 40 or > 16_000) throw new ArgumentException("--message-size must be 40..16000.");
        if (settings.Concurrency is not null) throw new ArgumentException("chat: a copy is a pair; use --pairs instead of --concurrency.");
        _ = Webhooks.WebhookAttachment.AnswerDelay(settings); // a bad --webhook fails before anything starts
        var perTenant = TenantSize(settings, pairs);
        var localPairs = LoadSimulation.ShareOf(pairs, settings.WorkerIndex, settings.WorkerCount);
        var tenantCount = Math.Max(1, (localPairs + perTenant - 1) / perTenant);
        var frames = new FrameCounts();
        ServerCounters? server = null;

        var message = new Step(StepName, async ctx =>
        {
            var pair = ctx.Copy.GetState<ChatPair>();
            var fromVisitor = ctx.Iteration % 2 == 0;
            var (sender, receiver) = fromVisitor ? (pair.Visitor, pair.Agent) : (pair.Agent, pair.Visitor);
            var clientMessageId = $"{ctx.Copy.CopyNumber}-{ctx.Iteration}";
            var arrival = receiver.ExpectMessage(clientMessageId, ctx.CancellationToken);
            var acked = false;
            try
            {
                await sender.RequestAsync("ack", ctx.CancellationToken,
                    ("type", "send"), ("conversationId", pair.ConversationId), ("clientMessageId", clientMessageId), ("text", MessageText.Create(size)));
                acked = true;
                var delivered = await arrival;
                // Payload bytes (the text), not socket bytes: with messages in flight the sockets' counters overlap.
                return StepResult.Ok(size, size, MessageText.Latency(delivered));
            }
            catch (OperationCanceledException) when (ctx.CancellationToken.IsCancellationRequested && !ctx.Scenario.Aborted.IsCancellationRequested)
            {
                return StepResult.Fail(acked ? Running.ErrorCodes.NoDelivery : Running.ErrorCodes.NoAck);
            }
            finally { receiver.ForgetMessage(clientMessageId); }
        })
        { Timeout = settings.StepTimeout };

        return new Scenario(Name, [message])
        {
            Init = async context =>
            {
                var tenants = await GatewayTargets.CreateTenantsAsync(context, tenantCount);
                await Webhooks.WebhookAttachment.RegisterAsync(context, tenants);
                server = GatewayTargets.ServerCountersOf(context.Settings, context.Connector);
            },
            InitBudget = TimeSpan.FromSeconds(60 + 5 * tenantCount),
            InitCopy = async (copy, ct) =>
            {
                var context = copy.Scenario;
                var url = context.Settings.TargetFor(copy.GlobalCopyNumber);
                var tenants = GatewayTargets.Tenants(context);
                var tenant = tenants[Math.Min(copy.CopyNumber / perTenant, tenants.Count - 1)];
                var (visitor, _) = await GatewayTargets.VisitorAsync(context, url, encoding, tenant.SiteKey, ct);
                GatewaySocket? agent = null;
                try
                {
                    visitor.OnFrame = f => frames.Count("visitor", f);
                    var started = await visitor.RequestAsync("started", ct, ("type", "start"));
                    var conversationId = started.ConversationId ?? throw new InvalidOperationException("started without a conversation id");
                    (agent, _) = await GatewayTargets.AgentAsync(context, url, encoding, tenant.OwnerToken, ct);
                    agent.OnFrame = f => frames.Count("agent", f);
                    await agent.RequestAsync("history", ct, ("type", "join"), ("conversationId", conversationId), ("afterSeq", 0L));
                    copy.State = new ChatPair(visitor, agent, conversationId);
                }
                catch
                {
                    await visitor.DisposeAsync();
                    if (agent is not null) await agent.DisposeAsync();
                    throw;
                }
            },
            CleanCopy = async copy =>
            {
                if (copy.State is ChatPair pair) await pair.DisposeAsync();
            },
            ReadCounters = async () =>
            {
                var counted = frames.ReadAndReset();
                if (server is not null)
                    foreach (var (name, value) in await server.ReadAndResetAsync(CancellationToken.None)) counted[name] = value;
                return counted;
            },
            LoadSimulations = ScenarioCatalog.DefaultLoad(settings, pairs),
            PrewarmCopies = pairs,
            MaxCopies = pairs,
            MaxInFlightPerCopy = InFlight.PerPair(settings, pairs),
            SocketsPerCopy = 2,
        };
    }

    private sealed record ChatPair(GatewaySocket Visitor, GatewaySocket Agent, string ConversationId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Visitor.DisposeAsync();
            await Agent.DisposeAsync();
        }
    }
}

/// <summary>Message text "lt:&lt;stopwatch timestamp&gt;:" padded to a size: the receiver computes the end-to-end latency from it.</summary>
public static class MessageText
{
    private const string Prefix = "lt:";

    public static string Create(int size)
    {
        var head = Prefix + Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture) + ":";
        return head.Length >= size ? head : head + new string('x', size - head.Length);
    }

    /// <summary>From the timestamp in the text to the frame's receipt (Stopwatch is CLOCK_MONOTONIC, shared by the machine's processes).</summary>
    public static TimeSpan Latency(WireFrame frame)
    {
        var text = frame.Text ?? "";
        var end = text.IndexOf(':', Prefix.Length);
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || end < 0 || !long.TryParse(text.AsSpan(Prefix.Length, end - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var sentAt))
            throw new FormatException("The message text carries no timestamp.");
        return Stopwatch.GetElapsedTime(sentAt, frame.ReceivedAt);
    }
}
