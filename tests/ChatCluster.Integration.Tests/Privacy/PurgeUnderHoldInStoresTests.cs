using System.Net;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Tests;
using ChatCluster.Integration.Tests.ClusterMode;
using ChatCluster.Integrations;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>
/// R3 with R4 against the real stores: at the purge date a closed account loses everything not held — an erased
/// visitor's tombstone too — keeps exactly the held conversation (messages and mail), reports it, and once the operator
/// lifts the hold no row, Redis key or file of the tenant is left, only the closure record without its id (R7) —
/// neither a verified user's record (I3) nor Orleans' pub/sub row of the tenant's inbox stream, both made sure to exist
/// before the closure.
/// </summary>
public sealed class PurgeUnderHoldInStoresTests(ShortClosureGraceStores stores) : IClassFixture<ShortClosureGraceStores>
{
    [Fact]
    public async Task The_purge_keeps_only_the_held_conversation_and_lifting_the_hold_leaves_no_row_of_the_tenant()
    {
        var (tenantId, siteKey, owner) = await stores.NewTenant();
        var held = Person.Unique();
        var free = Person.Unique();
        var erased = Person.Unique();
        var (heldSocket, _, heldConversation) = await held.Chat(stores, siteKey);
        var (freeSocket, _, freeConversation) = await free.Chat(stores, siteKey);
        foreach (var (socket, conversationId) in new[] { (heldSocket, heldConversation), (freeSocket, freeConversation) })
        {
            await socket.Send(new { type = "close", id = "c1", conversationId });
            await Wait.Until(async () => (await stores.OutboxMail(tenantId, conversationId)).Count > 0, "the transcript in the outbox");
            await socket.DisposeAsync();
        }
        var (erasedSocket, erasedVisitor, _) = await erased.Chat(stores, siteKey);
        await erasedSocket.DisposeAsync();
        await stores.Json(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId = erasedVisitor }); // leaves a tombstone keyed by the tenant
        await stores.Json(HttpMethod.Put, $"/api/privacy/holds/conversations/{heldConversation}", owner, new { reason = "Case 2026-4" });

        // I3: a verified user of the site, a record keyed by the tenant and a hash of the site's user id.
        var secret = (string)(await stores.Json(HttpMethod.Post, "/api/settings/identity/rotate", owner))["secret"]!;
        var userId = "user-" + Guid.NewGuid().ToString("N")[..8];
        await using (var verified = await ChatClient.Connect(stores.Gateway.SocketUri, Encoding2.Json))
        {
            await verified.Send(new { type = "hello", id = "h1", role = "visitor", siteKey, identity = new { userId, signature = IdentityVerification.Sign(secret, userId) } });
            await verified.Next("welcome");
        }
        Assert.Equal(1L, await Sql.ScalarAsync<long>(stores.ConnectionString,
            "SELECT count(*) FROM orleans_storage WHERE starts_with(grain_id_extension, @k)", ("k", $"{tenantId}/u_")));
        // An agent's console follows the tenant's inbox stream: Orleans keeps a pub/sub row for it, keyed by the tenant.
        await using var console = await ChatClient.Connect(stores.Gateway.SocketUri, Encoding2.Json);
        await console.HelloAgent(owner);
        await Wait.Until(async () => await Sql.ScalarAsync<long>(stores.ConnectionString,
            "SELECT count(*) FROM orleans_storage WHERE starts_with(grain_id_extension, 'chat/') AND position(@t in grain_id_extension) > 0", ("t", tenantId)) > 0,
            "Orleans' pub/sub row of the tenant's inbox stream");

        (await stores.Send(HttpMethod.Post, "/api/settings/close-account", owner)).EnsureSuccessStatusCode();

        JsonNode status = null!;
        await Wait.Until(async () =>
        {
            status = await Operator(HttpMethod.Get, $"/api/tenants/{tenantId}/closure");
            return status["closure"]!["heldSubjects"]!.AsArray().Count > 0;
        }, "the purge to run", TimeSpan.FromSeconds(60));
        Assert.True((bool)status["closure"]!["held"]!);
        Assert.Contains($"conversation:{heldConversation}", status["closure"]!["heldSubjects"]!.AsArray().Select(n => (string)n!));
        var kept = await Everywhere([.. held.Needles, .. free.Needles, .. erased.Needles]);
        Assert.DoesNotContain(kept, h => free.Needles.Any(n => h.EndsWith($"'{n}'")));
        Assert.DoesNotContain(kept, h => erased.Needles.Any(n => h.EndsWith($"'{n}'")));
        Assert.Contains($"conversation_messages.body (decrypted) holds '{held.Text}'", kept);
        Assert.Contains($"mail_outbox.message (decrypted) holds '{held.Email}'", kept);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(stores.ConnectionString,
            "SELECT count(*) FROM orleans_storage WHERE grain_id_extension = @k", ("k", $"{tenantId}/{erasedVisitor}")));

        var lifted = await stores.Gateway.Http.SendAsync(OperatorRequest(HttpMethod.Delete, $"/api/tenants/{tenantId}/holds/conversations/{heldConversation}"));
        Assert.Equal(HttpStatusCode.OK, lifted.StatusCode);

        IReadOnlyList<string> needles = [.. held.Needles, .. free.Needles, .. erased.Needles, tenantId];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<string> left;
        while ((left = await Everywhere(needles)).Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(500);
        Assert.Empty(left);
        var record = (await Operator(HttpMethod.Get, $"/api/tenants/{tenantId}/closure"))["record"]!;
        Assert.Equal(2, (int)record["heldAtPurge"]!); // the held conversation and the visitor it belongs to
        Assert.True((int)record["conversationsErased"]! >= 2);
    }

    private async Task<List<string>> Everywhere(IReadOnlyList<string> needles) =>
    [
        .. await StoreSearch.InPostgres(stores.ConnectionString, needles, stores.Cipher()),
        .. await StoreSearch.InRedis(stores.Redis.ConnectionString, needles),
        .. await StoreSearch.InFiles(stores.OutboxPath, needles),
    ];

    private static HttpRequestMessage OperatorRequest(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Operator-Key", ClusterModeFixture.OperatorKey);
        return request;
    }

    private async Task<JsonNode> Operator(HttpMethod method, string path)
    {
        using var request = OperatorRequest(method, path);
        var response = await stores.Gateway.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}

/// <summary>R5, R7 against PostgreSQL: the audit log is a table of rows; a day far past the old 100,000-entry cap still records an erasure.</summary>
public sealed class AuditStoreInStoresTests(PrivacyStoreFixture stores) : IClassFixture<PrivacyStoreFixture>
{
    [Fact]
    public async Task An_erasure_on_a_day_with_more_than_a_hundred_thousand_audit_entries_completes_and_is_audited()
    {
        var (tenantId, siteKey, owner) = await stores.NewTenant();
        var person = Person.Unique();
        var (socket, visitorId, _) = await person.Chat(stores, siteKey);
        await socket.DisposeAsync();
        await Sql.ExecuteAsync(stores.ConnectionString,
            $"INSERT INTO audit_entries (tenant_id, at, actor, action, subject) SELECT '{tenantId}', now(), 'agent:a_x', 'TranscriptRead', 'conversation:c_' || i FROM generate_series(1, 100000) AS i");

        var erasure = await stores.Json(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId });

        Assert.False((bool)erasure["alreadyErased"]!);
        await StoreChecks.NothingLeft(stores, person, within: TimeSpan.FromSeconds(10));
        var audit = await stores.Json(HttpMethod.Get, "/api/audit", owner);
        var entries = audit["entries"]!.AsArray();
        Assert.True(entries.Count > 100_001);
        Assert.Contains(entries, e => (string?)e!["action"] == "visitorErased" && (string?)e["subject"] == $"visitor:{visitorId}");
        var requests = await stores.Json(HttpMethod.Get, "/api/privacy/requests", owner);
        Assert.Contains(requests["requests"]!.AsArray(), r => (string?)r!["status"] == "completed");
    }
}
