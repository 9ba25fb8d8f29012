using ChatCluster.Integration.Tests.ClusterMode;

namespace ChatCluster.Integration.Tests.Drills;

/// <summary>
/// The scaling drill (C6, W6): while conversations run, a third silo joins, one silo is stopped gracefully
/// (its grains deactivate and persist, the others take over) and one gateway is stopped gracefully (its
/// sockets are told to reconnect and resume on the other gateway). Nothing acknowledged is lost, nothing
/// is delivered twice.
/// </summary>
public sealed class ScalingDrillTests : IAsyncLifetime
{
    private const int Conversations = 4;
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
    public async Task Adding_a_silo_and_gracefully_removing_a_silo_and_a_gateway_mid_conversation_loses_and_duplicates_nothing()
    {
        var (first, second) = (cluster.Gateways[0], cluster.Gateways[1]);
        var siteKey = await first.CreateTenant("scaling", "owner@scaling.test", "scaling-password-1");
        var current = first;
        var people = Enumerable.Range(0, Conversations).Select(_ => new Conversationalist(siteKey, () => current)).ToList();
        try
        {
            foreach (var person in people) await person.Start();
            using var stop = new CancellationTokenSource();
            var chatting = people.Select(p => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await p.SendNext();
                    await Task.Delay(100);
                }
            })).ToList();
            async Task Chat(int messagesEach)
            {
                var targets = people.Select(p => p.Acknowledged.Count + messagesEach).ToList();
                await Wait.Until(() => Task.FromResult(people.Select((p, i) => p.Acknowledged.Count >= targets[i]).All(x => x) || chatting.Any(t => t.IsFaulted)),
                    $"{messagesEach} more acknowledged messages in every conversation", TimeSpan.FromSeconds(90));
                foreach (var t in chatting.Where(t => t.IsFaulted)) await t;
            }

            await Chat(3);

            // Scale out: a third silo joins the running cluster.
            var third = (await cluster.StartSilos(1))[0];
            await Chat(3);

            // Scale in: the silo hosting the first conversation stops gracefully (SIGTERM).
            var leaving = await cluster.HostOf(first, "scaling", people[0].ConversationId) ?? cluster.Silos[0];
            await leaving.Stop(TimeSpan.FromSeconds(60));
            Assert.Equal(DrillCluster.DeadStatus, await cluster.MembershipStatus(leaving));
            await Chat(3);
            Assert.NotSame(leaving, await cluster.HostOf(second, "scaling", people[0].ConversationId));

            // A gateway leaves: its sockets get `reconnect` and close 1012, and resume on the other gateway.
            current = second;
            await first.DisposeAsync();
            cluster.Gateways.Remove(first);
            await Chat(3);

            await stop.CancelAsync();
            await Task.WhenAll(chatting);
            Assert.True(third.HasExited is false);

            // A stream event lost while a silo stopped is healed on the live socket too: the gateway resyncs its
            // sockets from the log when a cluster gateway goes away (docs/architecture.md, "Operating").
            var settle = DateTime.UtcNow.AddSeconds(20);
            while (people.Any(p => p.Acknowledged.Keys.Except(p.Delivered()).Any()) && DateTime.UtcNow < settle) await Task.Delay(200);

            foreach (var person in people)
            {
                // Live delivery never duplicates and, once settled, misses nothing; a resume, as a client
                // does, must then return exactly what was acknowledged.
                var delivered = person.Delivered();
                Assert.Empty(person.Acknowledged.Keys.Except(delivered));
                Assert.Equal(delivered.Distinct().Count(), delivered.Count);
                Assert.Empty(delivered.Except(person.Acknowledged.Keys));
                var history = await person.History(new Uri(second.BaseUri, "ws"));
                Assert.Equal(person.Acknowledged.Keys, history.Select(m => m.Seq));
                Assert.Equal(person.Acknowledged.Values, history.Select(m => m.Text));
                Assert.Equal(Enumerable.Range(1, person.Acknowledged.Count).Select(i => (long)i), person.Acknowledged.Keys);
                Assert.Equal(person.Acknowledged.Count, await cluster.MessageRows("scaling", person.ConversationId));
                Assert.True(person.SawReconnectFrame, $"{person.ConversationId} got no reconnect frame");
                Assert.True(person.SawServiceRestartClose, $"{person.ConversationId} was not closed with 1012");
                Assert.True(person.Reconnects >= 1);
            }
        }
        finally
        {
            foreach (var person in people) await person.DisposeAsync();
        }
    }
}
