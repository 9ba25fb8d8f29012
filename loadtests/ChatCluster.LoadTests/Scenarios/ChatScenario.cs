using System.Diagnostics;
using System.Globalization;
using ChatCluster.LoadTests.Gateway;
using ChatCluster.LoadTests.Model;

namespace ChatCluster.LoadTests.Scenarios;

/// <summary>
/// V visitor/agent pairs chatting through ChatCluster. A copy is a pair: the visitor said hello and started a
/// conversation, the agent (the process's tenant owner, logged in once per process over HTTP) said hello
/// and joined it. One iteration is one message, alternating visitor → agent and agent → visitor; its text
/// carries the sender's monotonic timestamp, and the latency is END TO END: from just before the send to
/// the other party's receipt of the <c>message</c> frame. The sender's <c>ack</c> must arrive too, or the
/// message fails with the gateway's error code.
/// </summary>
public sealed class ChatScenario : IScenarioDefinition
{
    public const string StepName = "chat message";

    public string Name => "chat";

    public string Description =>
        "Visitor/agent pairs exchange messages through ChatCluster (JSON or MessagePack); end-to-end latency " +
        "(sender's send to the other party's `message` frame). Starts the embedded default unless --url is given. Copies are pairs; --rate is messages/s in total.";

    public IReadOnlyList<ScenarioOption> Options { get; } = GatewayTargets.OptionsWith(
        new ScenarioOption("pairs", "visitor/agent pairs (each pair = one copy holding two sockets)", "50"),
        new ScenarioOption("message-size", "characters of text per message (at least the 40 the timestamp needs; the gateway allows 16 KiB)", "64"));

    public Task<TargetLease> ProvideTargetsAsync(RunSettings settings, CancellationToken cancellationToken) =>
        GatewayTargets.ProvideAsync(settings, new Dictionary<string, string>(), cancellationToken);

    public Scenario Build(RunSettings settings)
    {
        var pairs = settings.IntOption("pairs");
        var size = settings.IntOption("message-size");
        var encoding = GatewayTargets.EncodingOf(settings);
        if (pairs < 1) throw new ArgumentException("--pairs must be at least 1.");
        if (size is < 40 or > 16_000) throw new ArgumentException("--message-size must be 40..16000.");
        if (settings.Concurrency is not null) throw new ArgumentException("chat: a copy is a pair; use --pairs instead of --concurrency.");

        var message = new Step(StepName, async ctx =>
        {
            var pair = ctx.Copy.GetState<ChatPair>();
            var fromVisitor = ctx.Iteration % 2 == 0;
            var (sender, receiver) = fromVisitor ? (pair.Visitor, pair.Agent) : (pair.Agent, pair.Visitor);
            var clientMessageId = $"{ctx.Copy.CopyNumber}-{ctx.Iteration}";
            var arrival = receiver.Expect(f => f.Type == "message" && f.ClientMessageId == clientMessageId, ctx.CancellationToken);
            var (sent, received) = (sender.BytesSent + receiver.BytesSent, sender.BytesReceived + receiver.BytesReceived);
            var text = MessageText.Create(size);
            var ack = sender.RequestAsync("ack", ctx.CancellationToken,
                ("type", "send"), ("conversationId", pair.ConversationId), ("clientMessageId", clientMessageId), ("text", text));
            await ack;
            var delivered = await arrival;
            return StepResult.Ok(
                sender.BytesSent + receiver.BytesSent - sent,
                sender.BytesReceived + receiver.BytesReceived - received,
                MessageText.Latency(delivered));
        })
        { Timeout = settings.StepTimeout };

        return new Scenario(Name, [message])
        {
            Init = async context => await GatewayTargets.CreateTenantAsync(context),
            InitCopy = async (copy, ct) =>
            {
                var context = copy.Scenario;
                var url = context.Settings.TargetFor(copy.GlobalCopyNumber);
                var tenant = GatewayTargets.Tenant(context);
                var (visitor, _) = await GatewayTargets.VisitorAsync(context, url, encoding, ct);
                GatewaySocket? agent = null;
                try
                {
                    var started = await visitor.RequestAsync("started", ct, ("type", "start"));
                    var conversationId = started.ConversationId ?? throw new InvalidOperationException("started without a conversation id");
                    (agent, _) = await GatewayTargets.AgentAsync(context, url, encoding, tenant.OwnerToken, ct);
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
            LoadSimulations = ScenarioCatalog.DefaultLoad(settings, pairs),
            PrewarmCopies = pairs,
            MaxCopies = pairs,
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
