using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Tests;
using ChatCluster.Integration.Tests.ClusterMode;

namespace ChatCluster.Integration.Tests.Drills;

/// <summary>
/// The kill-a-silo drill (C6, W6, R1): two silo processes on PostgreSQL and a gateway; the silo that hosts
/// a live conversation is killed without warning. What was acknowledged survives, the conversation comes
/// back on the survivor, and a retention reminder registered before the kill still deletes on time.
/// </summary>
public sealed class SiloFailoverTests : IAsyncLifetime
{
    private const string Password = "drill-password-123";
    private static readonly TimeSpan ShortRetention = TimeSpan.FromSeconds(25);

    private DrillCluster cluster = null!;

    public async Task InitializeAsync()
    {
        cluster = await DrillCluster.Create(new()
        {
            // Tenants may choose second-scale retention, and holders check every second (the real reminder, just faster).
            ["ChatCluster:Retention:MinimumPeriod"] = "00:00:02",
            ["ChatCluster:Retention:CheckInterval"] = "00:00:01",
        });
        await cluster.StartSilos(2);
        await cluster.StartGateway();
    }

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task Killing_the_silo_that_hosts_a_conversation_loses_no_acknowledged_message_and_its_retention_reminder_still_fires()
    {
        var gateway = cluster.Gateways[0];
        var keptSiteKey = await gateway.CreateTenant("drill", "owner@drill.test", Password);
        var expiringSiteKey = await gateway.CreateTenant("expiring", "owner@expiring.test", Password);
        var owner = await DrillCluster.Login(gateway, "expiring", "owner@expiring.test", Password);
        using (var request = new HttpRequestMessage(HttpMethod.Put, "/api/settings/retention") { Content = JsonContent.Create(new { period = ShortRetention.ToString("c") }) })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner);
            (await gateway.Http.SendAsync(request)).EnsureSuccessStatusCode();
        }

        // The live conversation, on the tenant with the default retention (a year).
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var visitorToken = (string)(await visitor.HelloVisitor(keptSiteKey))["visitorToken"]!;
        var live = await visitor.StartConversation(name: "Kim");
        var acknowledged = new SortedDictionary<long, string>();
        await SendAcknowledged(visitor, live, "m-1", "before the crash 1", acknowledged);
        var victim = await cluster.HostOf(gateway, "drill", live) ?? throw new InvalidOperationException("The live conversation has no activation.");

        // An expiring conversation whose grain (and so its reminder's first ticks) lives on the same silo.
        var (expiring, expiringSentAt) = await ExpiringConversationOn(victim, gateway, expiringSiteKey);
        Assert.Equal(1, await cluster.MessageRows("expiring", expiring));
        Assert.Equal(1, await Sql.ScalarAsync<long>(cluster.ConnectionString,
            "SELECT count(*) FROM orleans_reminders WHERE grain_id LIKE '%' || @c AND reminder_name = 'retention-check'", ("c", expiring)));

        for (var i = 2; i <= 5; i++) await SendAcknowledged(visitor, live, $"m-{i}", $"before the crash {i}", acknowledged);

        // A send in flight while the silo dies: acknowledged or not, its client resends it with the same id.
        await visitor.Send(new { type = "send", id = "m-6", conversationId = live, clientMessageId = "m-6", text = "during the crash" });
        await victim.Kill();
        var killedAt = DateTimeOffset.UtcNow;
        Assert.True(killedAt < expiringSentAt + ShortRetention, "the silo must die before the expiring conversation's deadline");

        await SendAcknowledged(visitor, live, "m-6", "during the crash", acknowledged, attempts: true);
        for (var i = 7; i <= 8; i++) await SendAcknowledged(visitor, live, $"m-{i}", $"after the crash {i}", acknowledged);
        var survivor = cluster.Silos.Single(s => s != victim);
        Assert.Same(survivor, await cluster.HostOf(gateway, "drill", live));

        // A reconnecting client resumes from the start: every acknowledged message, once, in order.
        await using var again = await ChatClient.Connect(gateway.SocketUri, Encoding2.MessagePack);
        await again.HelloVisitor(keptSiteKey, visitorToken);
        await again.Send(new { type = "resume", id = "r1", conversationId = live, afterSeq = 0 });
        var history = (await again.Next("history"))["messages"]!.AsArray();
        Assert.Equal(acknowledged.Keys, history.Select(m => (long)m!["seq"]!));
        Assert.Equal(acknowledged.Values, history.Select(m => (string)m!["text"]!));
        Assert.Equal(Enumerable.Range(1, acknowledged.Count).Select(i => (long)i), acknowledged.Keys);
        Assert.Equal(acknowledged.Count, await cluster.MessageRows("drill", live));

        // The reminder registered before the kill fires on the survivor: the expiring conversation's rows go at its deadline.
        await Wait.Until(async () => await cluster.MessageRows("expiring", expiring) == 0,
            "the expiring conversation's messages to be deleted by its retention reminder",
            within: expiringSentAt + ShortRetention + TimeSpan.FromSeconds(30) - DateTimeOffset.UtcNow);
        Assert.True(DateTimeOffset.UtcNow >= expiringSentAt + ShortRetention, "deleted no earlier than the deadline");
        Assert.Equal(DrillCluster.DeadStatus, await cluster.MembershipStatus(victim));
    }

    /// <summary>Starts conversations on the short-retention tenant until one is activated on <paramref name="silo"/>.</summary>
    private async Task<(string ConversationId, DateTimeOffset SentAt)> ExpiringConversationOn(SiloProcess silo, RunningGateway gateway, string siteKey)
    {
        for (var attempt = 0; attempt < 16; attempt++)
        {
            await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
            await visitor.HelloVisitor(siteKey);
            var conversationId = await visitor.StartConversation(name: "Ezra", email: "ezra@example.com");
            var ack = await visitor.SendMessage(conversationId, "e-1", "please forget me soon");
            var sentAt = DateTimeOffset.FromUnixTimeMilliseconds((long)ack["sentAt"]!);
            if (await cluster.HostOf(gateway, "expiring", conversationId) == silo) return (conversationId, sentAt);
        }
        throw new InvalidOperationException("No expiring conversation landed on the silo to kill in 16 attempts.");
    }

    /// <summary>
    /// Sends until acknowledged, as the widget does (same clientMessageId, so a resend is deduplicated).
    /// While the killed silo is not yet declared dead a send may fail or time out; each attempt has its own frame id.
    /// </summary>
    private static async Task SendAcknowledged(ChatClient client, string conversationId, string clientMessageId, string text,
        SortedDictionary<long, string> acknowledged, bool attempts = false)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        for (var attempt = 1; ; attempt++)
        {
            var id = attempts ? $"{clientMessageId}#{attempt}" : clientMessageId;
            await client.Send(new { type = "send", id, conversationId, clientMessageId, text });
            var reply = await ReplyTo(client, id, TimeSpan.FromSeconds(40));
            if ((string?)reply?["type"] == "ack")
            {
                acknowledged[(long)reply["seq"]!] = text;
                return;
            }
            if (!attempts || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"'{clientMessageId}' was not acknowledged: {reply?.ToJsonString() ?? "no reply"}");
            await Task.Delay(500);
        }
    }

    /// <summary>The <c>ack</c> or <c>error</c> answering frame <paramref name="id"/>, or null after <paramref name="within"/>.</summary>
    internal static async Task<JsonObject?> ReplyTo(ChatClient client, string id, TimeSpan within, bool stopWhenClosed = false)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            var reply = client.Seen.FirstOrDefault(f => (string?)f["id"] == id && (string?)f["type"] is "ack" or "error");
            if (reply is not null) return reply;
            if (stopWhenClosed && client.State != System.Net.WebSockets.WebSocketState.Open) return null;
            await Task.Delay(50);
        }
        return null;
    }
}
