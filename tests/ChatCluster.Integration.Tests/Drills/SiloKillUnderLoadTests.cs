using System.Diagnostics;
using ChatCluster.Gateway.Tests;
using ChatCluster.Integration.Tests.ClusterMode;
using Xunit.Abstractions;

namespace ChatCluster.Integration.Tests.Drills;

/// <summary>
/// The kill-a-silo-under-load drill (C7): two PostgreSQL-mode silo processes, two Client-mode gateways, visitors on
/// one gateway and agents on the other, every side sending about every 200 ms; the silo hosting most conversations
/// is killed with SIGKILL, twice (a fresh silo joins between the kills). Every conversation delivers again within
/// 5 s of each kill, and every acknowledged message reaches every open socket of its conversation exactly once,
/// in order, without any client reconnecting or resuming.
/// </summary>
public sealed class SiloKillUnderLoadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Conversations = 6;
    private const int ConversationsPerAgentSocket = 3;
    private const int Kills = 2;
    private static readonly TimeSpan SendInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan RecoveryBar = TimeSpan.FromSeconds(5);

    private DrillCluster cluster = null!;

    public async Task InitializeAsync()
    {
        cluster = await DrillCluster.Create();
        await cluster.StartSilos(2);
        await cluster.StartGateway();
        await cluster.StartGateway();
    }

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task Killing_the_busiest_silo_under_load_resumes_every_chat_within_5_s_and_delivers_every_acknowledged_message_once_to_every_open_socket()
    {
        var (visitorGateway, agentGateway) = (cluster.Gateways[0], cluster.Gateways[1]);
        var siteKey = await visitorGateway.CreateTenant("killdrill", "owner@killdrill.test", "killdrill-password-1");
        var token = await DrillCluster.Login(agentGateway, "killdrill", "owner@killdrill.test", "killdrill-password-1");

        var visitors = new List<ChattingSocket>();
        var agents = new List<ChattingSocket>();
        var conversations = new List<(string Id, ChattingSocket Visitor, ChattingSocket Agent)>();
        try
        {
            for (var i = 0; i < Conversations; i++)
            {
                var visitor = new ChattingSocket(await ChatClient.Connect(visitorGateway.SocketUri, Encoding2.Json), $"v{i}");
                visitors.Add(visitor);
                await visitor.Client.HelloVisitor(siteKey);
                var started = await visitor.Request(id => new { type = "start", id, name = $"Visitor {i}" }, "started", TimeSpan.FromSeconds(60));
                var conversationId = (string)started["conversation"]!["conversationId"]!;
                if (i % ConversationsPerAgentSocket == 0)
                {
                    // One agent console follows several conversations on one socket, as a real agent does.
                    var console = new ChattingSocket(await ChatClient.Connect(agentGateway.SocketUri, Encoding2.MessagePack), $"a{agents.Count}");
                    await console.Client.HelloAgent(token);
                    agents.Add(console);
                }
                var agent = agents[^1];
                await agent.Request(id => new { type = "join", id, conversationId, afterSeq = 0 }, "history", TimeSpan.FromSeconds(60));
                conversations.Add((conversationId, visitor, agent));
            }

            using var stop = new CancellationTokenSource();
            var chatting = conversations.SelectMany(c => new[] { Chat(c.Visitor, c.Id, stop.Token), Chat(c.Agent, c.Id, stop.Token) }).ToList();
            await Task.Delay(TimeSpan.FromSeconds(3));

            var recoveries = new List<TimeSpan>();
            for (var kill = 1; kill <= Kills; kill++)
            {
                if (kill > 1)
                {
                    // A fresh silo joins (it takes the conversations when the busy one dies); the gateways list its
                    // gateway port within their refresh period.
                    await cluster.StartSilos(1);
                    await Task.Delay(TimeSpan.FromSeconds(4));
                }
                var hosts = new Dictionary<SiloProcess, int>();
                foreach (var c in conversations)
                {
                    if (await cluster.HostOf(agentGateway, "killdrill", c.Id) is { } host) hosts[host] = hosts.GetValueOrDefault(host) + 1;
                }
                var victim = hosts.MaxBy(h => h.Value).Key;
                var before = conversations.ToDictionary(c => c.Id, c => LastAcknowledged(c.Visitor, c.Agent, c.Id));
                var clock = Stopwatch.StartNew();
                await victim.Kill();
                output.WriteLine($"kill {kill}: silo {victim.SiloPort} with {hosts[victim]} of {Conversations} conversations killed");
                var declaredDead = Task.Run(async () =>
                {
                    while (await cluster.MembershipStatus(victim) != DrillCluster.DeadStatus && clock.Elapsed < TimeSpan.FromSeconds(40)) await Task.Delay(100);
                    return clock.Elapsed;
                });

                // Delivering again: both sockets of the conversation received a message acknowledged after the kill.
                var recovered = new Dictionary<string, TimeSpan>();
                while (recovered.Count < conversations.Count && clock.Elapsed < TimeSpan.FromSeconds(40))
                {
                    foreach (var c in conversations.Where(c => !recovered.ContainsKey(c.Id)))
                    {
                        if (c.Visitor.Delivered(c.Id).DefaultIfEmpty().Max() > before[c.Id] && c.Agent.Delivered(c.Id).DefaultIfEmpty().Max() > before[c.Id])
                            recovered[c.Id] = clock.Elapsed;
                    }
                    foreach (var failed in chatting.Where(t => t.IsFaulted)) await failed;
                    await Task.Delay(50);
                }
                output.WriteLine($"kill {kill}: declared dead in orleans_membership after {(await declaredDead).TotalSeconds:0.0} s; delivering again after {string.Join(", ", recovered.Values.Order().Select(t => $"{t.TotalSeconds:0.0} s"))}");
                Assert.True(recovered.Count == conversations.Count, $"kill {kill}: {conversations.Count - recovered.Count} of {conversations.Count} conversations never delivered again within 40 s");
                recoveries.AddRange(recovered.Values);
                await Task.Delay(TimeSpan.FromSeconds(3));
            }

            await stop.CancelAsync();
            await Task.WhenAll(chatting);

            // Settle: acknowledged messages still on their way (or being caught up from the log) arrive.
            var settle = Stopwatch.StartNew();
            while (conversations.Any(c => Missing(c, c.Visitor).Any() || Missing(c, c.Agent).Any()) && settle.Elapsed < TimeSpan.FromSeconds(30))
                await Task.Delay(200);

            foreach (var c in conversations)
            {
                var acknowledged = Acknowledged(c).ToList();
                Assert.Equal(Enumerable.Range(1, acknowledged.Count).Select(i => (long)i), acknowledged);
                Assert.Equal(acknowledged.Count, await cluster.MessageRows("killdrill", c.Id));
                foreach (var socket in new[] { c.Visitor, c.Agent })
                {
                    // Exactly once and in order on the live socket, which never reconnected.
                    Assert.Equal(System.Net.WebSockets.WebSocketState.Open, socket.Client.State);
                    Assert.Equal(acknowledged, socket.Delivered(c.Id));
                }
            }
            Assert.Empty(visitors.Concat(agents).SelectMany(s => s.UnexpectedErrors));
            Assert.All(recoveries, r => Assert.True(r <= RecoveryBar, $"a conversation delivered again only {r.TotalSeconds:0.0} s after a kill (bar {RecoveryBar.TotalSeconds} s); all: {string.Join(", ", recoveries.Select(x => x.TotalSeconds.ToString("0.0")))}"));
        }
        finally
        {
            foreach (var socket in visitors.Concat(agents)) await socket.DisposeAsync();
        }
    }

    /// <summary>Sends every <see cref="SendInterval"/> until <paramref name="stop"/>; a message begun is resent until acknowledged, so none is left stored but unacknowledged.</summary>
    private static async Task Chat(ChattingSocket socket, string conversationId, CancellationToken stop)
    {
        await Task.Yield();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        for (var n = 1; !stop.IsCancellationRequested; n++)
        {
            await socket.SendNext(conversationId, n, giveUp.Token);
            await Task.Delay(SendInterval, CancellationToken.None);
        }
    }

    private static long LastAcknowledged(ChattingSocket visitor, ChattingSocket agent, string conversationId) =>
        new[] { visitor, agent }.SelectMany(s => s.Acknowledged.GetValueOrDefault(conversationId)?.Keys ?? Enumerable.Empty<long>()).DefaultIfEmpty().Max();

    private static IEnumerable<long> Acknowledged((string Id, ChattingSocket Visitor, ChattingSocket Agent) c) =>
        new[] { c.Visitor, c.Agent }.SelectMany(s => s.Acknowledged.GetValueOrDefault(c.Id)?.Keys ?? Enumerable.Empty<long>()).Order();

    private static IEnumerable<long> Missing((string Id, ChattingSocket Visitor, ChattingSocket Agent) c, ChattingSocket socket) =>
        Acknowledged(c).Except(socket.Delivered(c.Id));
}
