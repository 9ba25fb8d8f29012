using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Tests;
using ChatCluster.Integration.Tests.ClusterMode;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>The stores of <see cref="PrivacyStoreFixture"/> with a closure grace of seconds instead of 30 days, so a purge is seen in real time.</summary>
public sealed class ShortClosureGraceStores : PrivacyStoreFixture
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    protected override Dictionary<string, string?> SiloSettings()
    {
        var settings = base.SiloSettings();
        settings["ChatCluster:Retention:ClosureGrace"] = Grace.ToString("c");
        return settings;
    }
}

/// <summary>
/// R3 against the real stores: once a closed account's grace period is over, no PostgreSQL row, Redis key or outbox
/// file holds the tenant's id, its team's emails or anything of the people who chatted with it. The tenant is used
/// the way a real one is first (chat, agent reply, mailed transcript, AI, routing, reports, audited export and policy
/// change), so every kind of state it can leave behind exists before the closure.
/// </summary>
public sealed class AccountClosureInStoresTests(ShortClosureGraceStores stores) : IClassFixture<ShortClosureGraceStores>
{
    private const string AgentPassword = "agent-password-123";

    [Fact]
    public async Task After_closure_and_the_grace_period_no_row_key_or_file_of_the_tenant_is_left()
    {
        var (tenantId, siteKey, owner) = await stores.NewTenant();
        var ownerEmail = $"owner@{tenantId}.test";
        var tag = Guid.NewGuid().ToString("N")[..6];
        var agentEmail = $"samwise.{tag}@team-closure.test";
        var agentName = $"Samwise Gardner{tag}";
        var added = await stores.Json(HttpMethod.Post, "/api/agents", owner, new { email = agentEmail, password = AgentPassword, displayName = agentName, role = "agent" });
        var agentId = (string)added["agentId"]!;
        var agentToken = await Login(tenantId, agentEmail, AgentPassword);

        var person = Person.Unique();
        var reply = $"your parcel {tag} is on its way";
        var (visitor, visitorId, conversationId) = await person.Chat(stores, siteKey);
        await using (var agent = await ChatClient.Connect(stores.Gateway.SocketUri, Encoding2.Json))
        {
            await agent.HelloAgent(agentToken);
            await agent.Send(new { type = "join", id = "j1", conversationId });
            await agent.Next("history");
            await agent.SendMessage(conversationId, "a-1", reply);
        }
        await visitor.Send(new { type = "close", id = "c1", conversationId });
        await Wait.Until(async () => (await stores.OutboxMail(tenantId, conversationId)).Count > 0, "the transcript in the outbox");
        await visitor.DisposeAsync();

        // Self-service (R5): a code for the person (stored hashed, mailed to the outbox) and one asked for an address the site never saw.
        var stranger = $"stranger.{tag}@elsewhere-closure.test";
        foreach (var email in new[] { person.Email, stranger })
            Assert.Equal(HttpStatusCode.Accepted, (await stores.Gateway.Http.PostAsJsonAsync("/api/privacy/self/verify", new { siteKey, email })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await stores.Gateway.Http.PostAsJsonAsync("/api/privacy/self/confirm", new { siteKey, email = stranger, code = "000000" })).StatusCode);

        await stores.Json(HttpMethod.Put, "/api/settings/ai", owner, new { enabled = true });
        await stores.Json(HttpMethod.Get, $"/api/conversations/{conversationId}/insights", owner);
        await stores.Json(HttpMethod.Put, $"/api/agents/{agentId}/capacity", owner, new { capacity = 5 });
        await stores.Json(HttpMethod.Get, "/api/stats", owner);
        await stores.Json(HttpMethod.Get, "/api/reports", owner);
        await stores.Json(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export", owner); // audited (R7)
        await stores.Json(HttpMethod.Put, "/api/settings/retention", owner, new { periodDays = 200 }); // audited

        IReadOnlyList<string> needles = [.. person.Needles, reply, tenantId, ownerEmail, agentEmail, agentName, stranger];
        var before = await Everywhere(needles);
        Assert.DoesNotContain(before, h => h.Contains(stranger)); // an unknown address leaves nothing, even before the closure
        Assert.Contains(before, h => h.Contains($"'{tenantId}'"));
        Assert.Contains($"orleans_storage.payload (decrypted) holds '{person.Email}'", before);
        Assert.Contains($"orleans_storage.payload (decrypted) holds '{agentEmail}'", before);
        Assert.Contains($"mail_outbox.message (decrypted) holds '{person.Text}'", before);

        (await stores.Send(HttpMethod.Post, "/api/settings/close-account", owner)).EnsureSuccessStatusCode();
        await AssertProblem(await stores.Send(HttpMethod.Get, "/api/inbox", owner), HttpStatusCode.Forbidden, "tenant_closed");

        await NothingLeft(needles, tenantId, within: TimeSpan.FromSeconds(60));

        // The old tokens open nothing, so nothing can write the tenant back either.
        var late = await stores.Send(HttpMethod.Put, "/api/settings/ai", owner, new { enabled = true });
        Assert.True(late.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"The purged tenant's token got {(int)late.StatusCode}.");
        var inbox = await stores.Send(HttpMethod.Get, "/api/inbox", agentToken);
        Assert.True(inbox.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"The purged tenant's token got {(int)inbox.StatusCode}.");
        await using (var again = await ChatClient.Connect(stores.Gateway.SocketUri, Encoding2.Json))
        {
            await again.Send(new { type = "hello", id = "h", role = "visitor", siteKey });
            Assert.Contains((string)(await again.Next("error"))["code"]!, new[] { "invalid_site_key", "tenant_closed" });
            Assert.Equal((WebSocketCloseStatus)4003, await again.Closed());
        }
        Assert.Empty(await Everywhere(needles));
    }

    private async Task<List<string>> Everywhere(IReadOnlyList<string> needles) =>
    [
        .. await StoreSearch.InPostgres(stores.ConnectionString, needles, stores.Cipher()),
        .. await StoreSearch.InRedis(stores.Redis.ConnectionString, needles),
        .. await StoreSearch.InFiles(stores.OutboxPath, needles),
    ];

    private async Task NothingLeft(IReadOnlyList<string> needles, string tenantId, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var hits = await Everywhere(needles);
            if (hits.Count == 0) return;
            if (DateTime.UtcNow > deadline)
                Assert.Fail("The closed tenant's data is still stored: " + string.Join("; ", hits) + ". Grain rows left: " + await GrainRows(tenantId));
            await Task.Delay(500);
        }
    }

    /// <summary>Which grains' rows are left, so a failure names the grain whose purge is missing.</summary>
    private async Task<string> GrainRows(string tenantId) =>
        await Sql.ScalarAsync<string>(stores.ConnectionString,
            "SELECT coalesce(string_agg(grain_type || ' ' || coalesce(grain_id_extension, ''), ', '), 'none') FROM orleans_storage WHERE grain_id_extension LIKE @t",
            ("t", $"%{tenantId}%")) + "; reminders left: " +
        await Sql.ScalarAsync<string>(stores.ConnectionString,
            "SELECT coalesce(string_agg(reminder_name || ' ' || grain_id, ', '), 'none') FROM orleans_reminders WHERE grain_id LIKE @t",
            ("t", $"%{tenantId}%"));

    private async Task<string> Login(string tenantId, string email, string password)
    {
        var login = await stores.Gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId, email, password });
        login.EnsureSuccessStatusCode();
        return (await login.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
    }

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal(code, (string?)JsonNode.Parse(text)!["code"]);
    }
}
