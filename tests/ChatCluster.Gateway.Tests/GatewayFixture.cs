using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Gateway.Tests;

/// <summary>
/// The real gateway in its embedded default, on a loopback port, for real WebSocket clients.
/// Settings can be tightened per fixture (rate limits, timeouts) through <see cref="Settings"/>.
/// </summary>
public class GatewayFixture : IAsyncLifetime
{
    public const string OperatorKey = "test-operator-key-0123456789";
    public const string DemoPassword = "demo-password-123";
    public const string DemoEmail = "agent@demo.local";

    private WebApplication? app;

    public Uri BaseUri { get; private set; } = null!;
    public Uri SocketUri => new UriBuilder(new Uri(BaseUri, "ws")) { Scheme = BaseUri.Scheme == "https" ? "wss" : "ws" }.Uri;
    public HttpClient Http { get; private set; } = null!;
    public string SiteKey { get; private set; } = "";
    public IServiceProvider Services => app!.Services;

    protected virtual Dictionary<string, string?> Settings => new();

    /// <summary>
    /// Registers services before the gateway registers its own; those the gateway adds with TryAdd (the login
    /// throttle) are replaced this way, e.g. by one on a fake clock.
    /// </summary>
    protected virtual void ConfigureServices(IServiceCollection services) { }

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["ChatCluster:Gateway:OperatorKey"] = OperatorKey,
            ["ChatCluster:Auth:LoginAttemptsPerMinute"] = "10000", // every test logs in from 127.0.0.1
            ["ChatCluster:Abuse:NewVisitorsPerMinutePerAddress"] = "100000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Abuse:ConversationsPerMinutePerAddress"] = "100000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Abuse:ConversationsPerHourPerVisitor"] = "100000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Abuse:NewVisitorsPerMinutePerTenant"] = "1000000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Demo:AgentPassword"] = DemoPassword,
            ["ChatCluster:Silo:SiloPort"] = ListenPorts.Next().ToString(),
            ["ChatCluster:Silo:GatewayPort"] = ListenPorts.Next().ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in Settings) settings[k] = v;
        app = GatewayApp.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            ConfigureServices(b.Services);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUri = new Uri(address.EndsWith('/') ? address : address + "/");
        Http = new HttpClient { BaseAddress = BaseUri };

        var seeder = app.Services.GetRequiredService<Demo.DemoSeeder>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (seeder.Tenant is null && DateTime.UtcNow < deadline) await Task.Delay(50);
        SiteKey = seeder.Tenant?.SiteKey ?? throw new InvalidOperationException("The demo tenant was not seeded.");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Logs the demo agent in and returns its bearer token.</summary>
    public Task<string> AgentToken() => Login("demo", DemoEmail, DemoPassword);

    public async Task<string> Login(string tenantId, string email, string password)
    {
        var response = await Http.PostAsJsonAsync("/api/auth/login", new { tenantId, email, password });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["token"]!.GetValue<string>();
    }

    /// <summary>Creates another tenant through the operator API; returns its site key.</summary>
    public async Task<string> CreateTenant(string tenantId, string ownerEmail, string password, params string[] origins)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tenants")
        {
            Content = JsonContent.Create(new
            {
                tenantId,
                name = tenantId + " Inc.",
                allowedOrigins = origins,
                owner = new { email = ownerEmail, password, displayName = "Owner of " + tenantId },
            }),
        };
        request.Headers.Add("X-Operator-Key", OperatorKey);
        var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["siteKey"]!.GetValue<string>();
    }

}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
