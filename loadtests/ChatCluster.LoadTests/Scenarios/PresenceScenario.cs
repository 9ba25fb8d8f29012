using System.Diagnostics;
using ChatCluster.LoadTests.Gateway;
using ChatCluster.LoadTests.Model;

namespace ChatCluster.LoadTests.Scenarios;

/// <summary>
/// Agents toggling online/away, watched from another gateway. A copy is one agent account of the process's
/// tenant (created and logged in at copy init: bcrypt, so keep --agents modest) with a socket on gateway A
/// that changes its presence, and one observer socket (the tenant owner) on gateway B. One iteration is one
/// change; its latency is from just before the agent's <c>presence</c> frame to the observer's receipt of the
/// matching <c>presence</c> event. Every change fans out to every agent socket of the tenant (2 × agents),
/// so the observer is one of many receivers. With one gateway (the embedded default when no --url is given)
/// A and B are the same process and the in-process presence bus carries it; with two --url gateways in
/// cluster mode it crosses Redis (C4).
/// </summary>
public sealed class PresenceScenario : IScenarioDefinition
{
    public const string StepName = "presence change";

    public string Name => "presence";

    public string Description =>
        "Agents on gateway A toggle online/away; an observer on gateway B (the next --url) receives each change: fan-out latency. " +
        "Two gateways in cluster mode cross Redis; without --url one embedded gateway. Copies are agents; --rate is changes/s in total.";

    public IReadOnlyList<ScenarioOption> Options { get; } = GatewayTargets.OptionsWith(
        new ScenarioOption("agents", "agent accounts toggling presence (each = one copy: its socket + one observer socket)", "10"));

    public Task<TargetLease> ProvideTargetsAsync(RunSettings settings, CancellationToken cancellationToken) =>
        GatewayTargets.ProvideAsync(settings, new Dictionary<string, string>(), cancellationToken);

    public Scenario Build(RunSettings settings)
    {
        var agents = settings.IntOption("agents");
        var encoding = GatewayTargets.EncodingOf(settings);
        if (agents is < 1 or > 500) throw new ArgumentException("--agents must be 1..500 (each is a bcrypt-hashed account).");
        if (settings.Concurrency is not null) throw new ArgumentException("presence: a copy is an agent; use --agents instead of --concurrency.");

        var change = new Step(StepName, async ctx =>
        {
            var agent = ctx.Copy.GetState<PresenceAgent>();
            var next = agent.Status == "away" ? "online" : "away";
            var seen = agent.Observer.Expect(f => f.Type == "presence" && f.SubjectId == agent.AgentId && f.Status == next, ctx.CancellationToken);
            var (sent, received) = (agent.Socket.BytesSent, agent.Observer.BytesReceived);
            var start = Stopwatch.GetTimestamp();
            agent.Status = next; // whatever happens next, this is what the gateway was told
            await agent.Socket.SendAsync([("type", "presence"), ("status", next)], ctx.CancellationToken);
            var frame = await seen;
            return StepResult.Ok(agent.Socket.BytesSent - sent, agent.Observer.BytesReceived - received, Stopwatch.GetElapsedTime(start, frame.ReceivedAt));
        })
        { Timeout = settings.StepTimeout };

        return new Scenario(Name, [change])
        {
            Init = async context => await GatewayTargets.CreateTenantAsync(context),
            InitCopy = async (copy, ct) =>
            {
                var context = copy.Scenario;
                var urls = context.Settings.Urls;
                var a = urls[(int)(copy.GlobalCopyNumber % urls.Count)];
                var b = urls[(int)((copy.GlobalCopyNumber + 1) % urls.Count)];
                var tenant = GatewayTargets.Tenant(context);
                var api = GatewayTargets.Api(context, a);
                var email = $"agent-{copy.CopyNumber}@{tenant.TenantId}.loadtest";
                var password = "lt-" + Guid.NewGuid().ToString("N")[..16];
                var agentId = await api.AddAgentAsync(tenant.OwnerToken, email, password, $"Agent {copy.CopyNumber}", ct);
                var (token, _) = await api.LoginAsync(tenant.TenantId, email, password, ct);
                var (observer, _) = await GatewayTargets.AgentAsync(context, b, encoding, tenant.OwnerToken, ct);
                try
                {
                    // The observer is in place first, so the agent's own arrival ("online") is seen like any change.
                    var online = observer.Expect(f => f.Type == "presence" && f.SubjectId == agentId && f.Status == "online", ct);
                    var (socket, _) = await GatewayTargets.AgentAsync(context, a, encoding, token, ct);
                    copy.State = new PresenceAgent(agentId, socket, observer);
                    await online;
                }
                catch
                {
                    await observer.DisposeAsync();
                    if (copy.State is PresenceAgent started) await started.Socket.DisposeAsync();
                    throw;
                }
            },
            CleanCopy = async copy =>
            {
                if (copy.State is not PresenceAgent agent) return;
                await agent.Socket.DisposeAsync();
                await agent.Observer.DisposeAsync();
            },
            LoadSimulations = ScenarioCatalog.DefaultLoad(settings, agents),
            PrewarmCopies = agents,
            MaxCopies = agents,
            SocketsPerCopy = 2,
        };
    }

    private sealed class PresenceAgent(string agentId, GatewaySocket socket, GatewaySocket observer)
    {
        public string AgentId { get; } = agentId;
        public GatewaySocket Socket { get; } = socket;
        public GatewaySocket Observer { get; } = observer;
        public string Status { get; set; } = "online";
    }
}
