using System.Net;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Tests;
using ChatCluster.Integration.Tests.ClusterMode;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>A silo on PostgreSQL whose webhooks may target the loopback test receiver and retry quickly.</summary>
public sealed class WebhookStoreFixture : PrivacyStoreFixture
{
    protected override Dictionary<string, string?> SiloSettings()
    {
        var settings = base.SiloSettings();
        settings["ChatCluster:Webhooks:AllowPrivateTargets"] = "true";
        settings["ChatCluster:Webhooks:FirstDelay"] = "00:00:00.200";
        settings["ChatCluster:Webhooks:MaximumDelay"] = "00:00:00.500";
        settings["ChatCluster:Webhooks:DisableAfterFailures"] = "10000";
        return settings;
    }
}

/// <summary>I2 in cluster mode: the delivery queue is in PostgreSQL, sealed (S1), and survives a silo restart.</summary>
public sealed class WebhookQueueTests(WebhookStoreFixture stores) : IClassFixture<WebhookStoreFixture>
{
    [Fact]
    public async Task A_delivery_queued_before_a_silo_restart_is_delivered_after_it_and_its_body_is_sealed_at_rest()
    {
        await using var receiver = await WebhookReceiver.Start();
        var accept = false;
        receiver.Answer = _ => (Volatile.Read(ref accept) ? 200 : 503, TimeSpan.Zero);
        var (tenantId, siteKey, owner) = await stores.NewTenant();
        var hook = await stores.Json(HttpMethod.Post, "/api/settings/webhooks", owner,
            new { url = receiver.Url.ToString(), events = new[] { "message.created" }, includePersonalData = true });
        var webhookId = (string)hook["webhook"]!["webhookId"]!;

        var person = Person.Unique();
        var (socket, _, _) = await person.Chat(stores, siteKey);
        await socket.DisposeAsync();
        var first = await receiver.Next(r => r.Event == "message.created");
        Assert.Contains(person.Text, first.Text); // personal data was enabled for this endpoint

        // Queued in PostgreSQL, and no personal data readable there.
        Assert.Equal(1, await Sql.ScalarAsync<long>(stores.ConnectionString, "SELECT count(*) FROM webhook_deliveries WHERE tenant_id = @t", ("t", tenantId)));
        Assert.Empty(await StoreSearch.InPostgres(stores.ConnectionString, person.Needles));

        await stores.RestartSilo();
        Volatile.Write(ref accept, true);

        // Any event wakes the tenant's webhooks grain on the new silo, which reads the queue back.
        var later = Person.Unique();
        await Wait.Until(async () =>
        {
            try
            {
                var (again, _, _) = await later.Chat(stores, siteKey);
                await again.DisposeAsync();
                return true;
            }
            catch (Exception ex) when (ex is TimeoutException or System.Net.WebSockets.WebSocketException)
            {
                return false;
            }
        }, "a chat after the restart", TimeSpan.FromSeconds(60));

        await Wait.Until(async () =>
        {
            var log = JsonNode.Parse(await (await stores.Send(HttpMethod.Get, $"/api/settings/webhooks/{webhookId}/deliveries", owner)).Content.ReadAsStringAsync())!.AsArray();
            return log.Any(e => (string?)e!["deliveryId"] == first.Delivery && (string?)e["outcome"] == "delivered");
        }, "the pre-restart delivery to be delivered", TimeSpan.FromSeconds(60));
        Assert.Contains(receiver.Deliveries, r => r.Delivery == first.Delivery && r.Text == first.Text);
        await Wait.Until(async () => await Sql.ScalarAsync<long>(stores.ConnectionString,
            "SELECT count(*) FROM webhook_deliveries WHERE tenant_id = @t", ("t", tenantId)) == 0, "the queue to empty", TimeSpan.FromSeconds(30));
    }
}
