using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>
/// R7, A2: turning AI processing on or off, or changing the model-training opt-out, is in the tenant's audit log with
/// the admin who did it and which flags changed. Saving the same settings again is no change and logs nothing.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AiSettingsAuditTests(GatewayFixture gateway)
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task Changing_ai_settings_is_audited_with_the_acting_admin_and_the_changed_flags_only()
    {
        var tenant = "aa-" + Ids.Random(6);
        var ownerEmail = "owner@" + tenant + ".test";
        await gateway.CreateTenant(tenant, ownerEmail, Password);
        var (owner, ownerId) = await Login(tenant, ownerEmail);
        (await Send(HttpMethod.Post, "/api/agents", owner, new { email = "admin@" + tenant + ".test", password = Password, displayName = "Ada", role = "admin" }))
            .EnsureSuccessStatusCode();
        var (admin, adminId) = await Login(tenant, "admin@" + tenant + ".test");

        (await Send(HttpMethod.Put, "/api/settings/ai", owner, new { enabled = true })).EnsureSuccessStatusCode();
        (await Send(HttpMethod.Put, "/api/settings/ai", admin, new { enabled = true, modelTrainingOptOut = false })).EnsureSuccessStatusCode();

        var entries = await AiSettingsEntries(owner);
        Assert.Equal(2, entries.Count);
        Assert.Equal("agent:" + ownerId, (string)entries[0]["actor"]!);
        Assert.Equal("tenant", (string)entries[0]["subject"]!);
        Assert.Equal("enabled=true (was false)", (string)entries[0]["detail"]!);
        Assert.Equal("agent:" + adminId, (string)entries[1]["actor"]!);
        Assert.Equal("modelTrainingOptOut=false (was true)", (string)entries[1]["detail"]!); // enabled was already true
        Assert.All(entries, e => Assert.DoesNotContain("@", e.ToJsonString()));
    }

    [Fact]
    public async Task Saving_ai_settings_that_are_already_in_force_writes_no_audit_entry()
    {
        var tenant = "aa-" + Ids.Random(6);
        var ownerEmail = "owner@" + tenant + ".test";
        await gateway.CreateTenant(tenant, ownerEmail, Password);
        var (owner, _) = await Login(tenant, ownerEmail);

        var unchanged = await Send(HttpMethod.Put, "/api/settings/ai", owner, new { enabled = false, modelTrainingOptOut = true }); // the defaults
        unchanged.EnsureSuccessStatusCode();
        Assert.False((bool)(await unchanged.Content.ReadFromJsonAsync<JsonObject>())!["enabled"]!);
        Assert.Empty(await AiSettingsEntries(owner));

        (await Send(HttpMethod.Put, "/api/settings/ai", owner, new { enabled = true })).EnsureSuccessStatusCode();
        (await Send(HttpMethod.Put, "/api/settings/ai", owner, new { enabled = true })).EnsureSuccessStatusCode();
        Assert.Single(await AiSettingsEntries(owner));
    }

    private async Task<List<JsonObject>> AiSettingsEntries(string token)
    {
        var response = await Send(HttpMethod.Get, "/api/audit", token);
        response.EnsureSuccessStatusCode();
        var audit = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return audit["entries"]!.AsArray().Select(e => e!.AsObject()).Where(e => (string)e["action"]! == "aiSettingsChanged").ToList();
    }

    private async Task<(string Token, string AgentId)> Login(string tenant, string email)
    {
        var response = await gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId = tenant, email, password = Password });
        response.EnsureSuccessStatusCode();
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return ((string)body["token"]!, (string)body["agent"]!["agentId"]!);
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await gateway.Http.SendAsync(request);
    }
}
