using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ChatCluster.LoadTests.Gateway;

/// <summary>A tenant created for one process of a run, and its owner's bearer token.</summary>
public sealed record LoadTenant(string TenantId, string SiteKey, string OwnerEmail, string OwnerPassword, string OwnerToken, string OwnerAgentId);

/// <summary>
/// The slice of the gateway's HTTP API (docs/protocol.md §8) the scenarios need: an operator creates a
/// tenant, its owner logs in (bcrypt cost 12: once per process, not per copy), adds agents, sets retention.
/// </summary>
public sealed class GatewayApi(HttpMessageInvoker http, Uri gateway)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public Uri Gateway { get; } = gateway;

    /// <summary>Creates tenant <paramref name="tenantId"/> with an owner and logs the owner in.</summary>
    public async Task<LoadTenant> CreateTenantAsync(string operatorKey, string tenantId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(operatorKey))
            throw new ArgumentException("Targets given with --url need --operator-key (the gateway's ChatCluster__Gateway__OperatorKey) so the run can create its own tenant.");
        var email = "owner@" + tenantId + ".loadtest";
        var password = "lt-" + Guid.NewGuid().ToString("N")[..16];
        var created = await SendAsync(HttpMethod.Post, "/api/tenants", new { tenantId, name = "Load test " + tenantId, owner = new { email, password, displayName = "Load owner" } },
            cancellationToken, ("X-Operator-Key", operatorKey));
        var siteKey = created["siteKey"]!.GetValue<string>();
        var (token, agentId) = await LoginAsync(tenantId, email, password, cancellationToken);
        return new LoadTenant(tenantId, siteKey, email, password, token, agentId);
    }

    public async Task<(string Token, string AgentId)> LoginAsync(string tenantId, string email, string password, CancellationToken cancellationToken)
    {
        var login = await SendAsync(HttpMethod.Post, "/api/auth/login", new { tenantId, email, password }, cancellationToken);
        return (login["token"]!.GetValue<string>(), login["agent"]!["agentId"]!.GetValue<string>());
    }

    public async Task<string> AddAgentAsync(string ownerToken, string email, string password, string displayName, CancellationToken cancellationToken)
    {
        var agent = await SendAsync(HttpMethod.Post, "/api/agents", new { email, password, displayName, role = "agent" }, cancellationToken, ("Authorization", "Bearer " + ownerToken));
        return agent["agentId"]!.GetValue<string>();
    }

    /// <summary>PUT /api/settings/retention with a period as d.hh:mm:ss.</summary>
    public Task SetRetentionAsync(string ownerToken, TimeSpan period, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, "/api/settings/retention",
            new { period = period.ToString("d\\.hh\\:mm\\:ss", System.Globalization.CultureInfo.InvariantCulture), keepRedactedEmail = false },
            cancellationToken, ("Authorization", "Bearer " + ownerToken));

    /// <summary>POST /api/settings/webhooks: an endpoint of the owner's tenant for <paramref name="events"/> (the gateway must allow a loopback target).</summary>
    public Task RegisterWebhookAsync(string ownerToken, Uri url, IReadOnlyList<string> events, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/api/settings/webhooks", new { url = url.ToString(), events, includePersonalData = false },
            cancellationToken, ("Authorization", "Bearer " + ownerToken));

    /// <summary>GET /api/conversations/{id}: true while the transcript exists, false once it answers 404.</summary>
    public async Task<bool> TranscriptExistsAsync(string ownerToken, string conversationId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Gateway, "/api/conversations/" + Uri.EscapeDataString(conversationId)));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + ownerToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await http.SendAsync(request, timeout.Token);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        response.EnsureSuccessStatusCode();
        return true;
    }

    /// <summary>GET /api/stats for today (UTC): the anonymised daily counters (docs/privacy.md §4).</summary>
    public async Task<JsonObject> StatsTodayAsync(string ownerToken, CancellationToken cancellationToken)
    {
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return await SendAsync(HttpMethod.Get, $"/api/stats?from={today}&to={today}", null, cancellationToken, ("Authorization", "Bearer " + ownerToken));
    }

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, new Uri(Gateway, path));
        if (body is not null) request.Content = JsonContent.Create(body);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await http.SendAsync(request, timeout.Token);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{method} {path} answered {(int)response.StatusCode}: {text}", null, response.StatusCode);
        return JsonNode.Parse(text) as JsonObject ?? [];
    }
}
