using System.Net;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>
/// R7: the audit log names who did what to which subject by pseudonymous id only. Every action a person's data goes
/// through is run here with free text that names the person — in the chat, in a rectification, in a hold's reason
/// (against the advice) and in an API key's name — and no entry carries any of it.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AuditPersonalDataTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Every_audited_action_records_ids_only_never_what_the_person_or_the_admin_typed()
    {
        var (_, siteKey, owner) = await gateway.FreshTenant("audit");
        var tag = Ids.Random(6);
        var name = $"Philippa Quennell{tag}";
        var email = $"philippa.{tag}@mailbox-privacy.test";
        var text = $"my parcel number is ZX-{tag}-QQ";
        var newName = $"Pippa Marchbanks{tag}";
        var newEmail = $"pippa.{tag}@elsewhere-privacy.test";
        var reason = $"Complaint by {name}, {email}";
        var keyName = $"CRM sync for {name}";
        string visitorId, conversationId;
        await using (var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json))
        {
            visitorId = (string)(await visitor.HelloVisitor(siteKey))["visitorId"]!;
            conversationId = await visitor.StartConversation(name, email);
            await visitor.SendMessage(conversationId, "m-1", text);
        }

        Ok(await gateway.Call(HttpMethod.Get, $"/api/conversations/{conversationId}", owner));
        Ok(await gateway.Call(HttpMethod.Get, $"/api/conversations/{conversationId}/visitor", owner));
        Ok(await gateway.Call(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export", owner));
        Ok(await gateway.Call(HttpMethod.Patch, $"/api/privacy/subjects/{visitorId}", owner, new { name = newName, email = newEmail }));
        Ok(await gateway.Call(HttpMethod.Put, $"/api/privacy/subjects/{visitorId}/restrictions", owner, new { restricted = true }));
        Ok(await gateway.Call(HttpMethod.Put, $"/api/privacy/holds/visitors/{visitorId}", owner, new { reason }));
        Assert.Equal(HttpStatusCode.Conflict, (await gateway.Call(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId })).StatusCode);
        Ok(await gateway.Call(HttpMethod.Delete, $"/api/privacy/holds/visitors/{visitorId}", owner));
        var key = (string)(await (await gateway.Call(HttpMethod.Post, "/api/settings/api-keys", owner,
            new { name = keyName, scopes = new[] { "conversations:read" } })).Json(HttpStatusCode.Created))["secret"]!;
        Ok(await gateway.Call(HttpMethod.Get, $"/api/v1/conversations/{conversationId}", key));
        Ok(await gateway.Call(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId }));

        var entries = (await (await gateway.Call(HttpMethod.Get, "/api/audit", owner)).Json())["entries"]!.AsArray().Select(e => e!.AsObject()).ToList();
        string[] actions = ["transcriptRead", "visitorDetailsViewed", "subjectExported", "subjectRectified", "processingRestrictionChanged", "holdPlaced",
            "erasureRefused", "holdLifted", "apiKeyCreated", "apiKeyUsed", "conversationErased", "visitorErased"];
        foreach (var action in actions) Assert.Contains(entries, e => (string?)e["action"] == action);
        var values = entries.SelectMany(e => e.Select(p => p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : p.Value?.ToJsonString() ?? "")).ToList();
        foreach (var needle in new[] { name, email, text, newName, newEmail, reason, keyName, "Quennell", "Marchbanks", "mailbox-privacy", "elsewhere-privacy", "parcel" })
            Assert.DoesNotContain(values, v => v.Contains(needle, StringComparison.OrdinalIgnoreCase));
        foreach (var entry in entries)
        {
            Assert.Matches("^(agent:a_[A-Za-z0-9_-]+|apikey:k_[A-Za-z0-9_-]+|self:e_[A-Za-z0-9_-]+|system:[a-z]+|operator)$", (string)entry["actor"]!);
            Assert.Matches("^(tenant|visitor:v_[A-Za-z0-9_-]+|conversation:c_[A-Za-z0-9_-]+)$", (string)entry["subject"]!);
        }
    }

    private static void Ok(HttpResponseMessage response) =>
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode}");
}
