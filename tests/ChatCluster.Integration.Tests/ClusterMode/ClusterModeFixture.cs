using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Silo.Hosting;
using ChatCluster.Silo.Hosting.Database;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatCluster.Integration.Tests.ClusterMode;

/// <summary>
/// Cluster mode in one test process, every part real: two silos (the production <c>SiloSetup</c> with
/// Storage=Postgres) sharing a freshly migrated PostgreSQL database for membership, state, reminders
/// and the message log; two gateways (<c>GatewayApp</c> in Client mode, each on its own loopback port)
/// finding the silos through PostgreSQL membership and fanning presence out through a redis-server
/// of the fixture's own. One tenant with an owner agent is created through gateway A.
/// </summary>
public sealed class ClusterModeFixture : IAsyncLifetime
{
    public const string OperatorKey = "cluster-test-operator-key-0123456789";
    public const string TenantId = "clustered";
    public const string OwnerEmail = "owner@clustered.test";
    public const string OwnerPassword = "owner-password-123";

    private readonly PostgresFixture postgres = new();
    private readonly string clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly string encryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly string emailIndexKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly List<IHost> silos = [];

    public RedisServer Redis { get; } = new();
    public string ConnectionString => postgres.ConnectionString;
    public RunningGateway A { get; private set; } = null!;
    public RunningGateway B { get; private set; } = null!;
    public string SiteKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await postgres.InitializeAsync();
        await new DatabaseMigrator().MigrateAsync(ConnectionString);
        await Redis.Start();

        silos.Add(await StartSilo());
        silos.Add(await StartSilo());
        A = await StartGateway();
        B = await StartGateway();

        SiteKey = await A.CreateTenant(TenantId, OwnerEmail, OwnerPassword);
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in new[] { A, B }.OfType<RunningGateway>()) await gateway.DisposeAsync();
        foreach (var silo in silos)
        {
            await silo.StopAsync();
            silo.Dispose();
        }
        await Redis.DisposeAsync();
        await postgres.DisposeAsync();
    }

    public Dictionary<string, string?> SiloSettings() => new()
    {
        ["ChatCluster:Silo:Storage"] = "Postgres",
        ["ChatCluster:Silo:SiloPort"] = ListenPorts.Next().ToString(),
        ["ChatCluster:Silo:GatewayPort"] = ListenPorts.Next().ToString(),
        ["ChatCluster:Silo:AdvertisedAddress"] = "127.0.0.1",
        ["ChatCluster:Silo:ClusterId"] = clusterId,
        ["ChatCluster:Silo:ServiceId"] = clusterId,
        ["ChatCluster:Postgres:ConnectionString"] = ConnectionString,
        ["ChatCluster:Encryption:Keys:k1"] = encryptionKey,
        ["ChatCluster:Privacy:EmailIndexKey"] = emailIndexKey,
        ["ChatCluster:Encryption:ActiveKeyId"] = "k1",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    public Dictionary<string, string?> GatewaySettings() => ClientGatewaySettings(clusterId, ConnectionString, signingKey, Redis.ConnectionString);

    /// <summary>
    /// A gateway in Client mode of the test cluster <paramref name="clusterId"/>: operator key, signing key, the
    /// cluster's PostgreSQL, and (when given) Redis presence with short heartbeats.
    /// </summary>
    public static Dictionary<string, string?> ClientGatewaySettings(string clusterId, string connectionString, string signingKey, string? redis)
    {
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["ChatCluster:Gateway:Mode"] = "Client",
            ["ChatCluster:Gateway:OperatorKey"] = OperatorKey,
            ["ChatCluster:Auth:LoginAttemptsPerMinute"] = "10000", // every test logs in from 127.0.0.1
            ["ChatCluster:Abuse:NewVisitorsPerMinutePerAddress"] = "100000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Abuse:ConversationsPerMinutePerAddress"] = "100000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Abuse:ConversationsPerHourPerVisitor"] = "100000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Abuse:NewVisitorsPerMinutePerTenant"] = "1000000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Auth:SigningKey"] = signingKey,
            ["ChatCluster:Silo:ClusterId"] = clusterId,
            ["ChatCluster:Silo:ServiceId"] = clusterId,
            ["ChatCluster:Postgres:ConnectionString"] = connectionString,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (redis is null) return settings;
        settings["ChatCluster:Redis:ConnectionString"] = redis;
        // Shorter than production so the tests need not wait 20 s for a heartbeat round.
        settings["ChatCluster:Redis:HeartbeatInterval"] = "00:00:01";
        settings["ChatCluster:Redis:PresenceTtl"] = "00:00:04";
        return settings;
    }

    public static async Task<IHost> StartSilo(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo => silo.AddChatClusterSilo(builder.Configuration));
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return host;
    }

    private Task<IHost> StartSilo() => StartSilo(SiloSettings());

    private async Task<RunningGateway> StartGateway()
    {
        var app = GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(GatewaySettings()));
        await app.StartAsync();
        return new RunningGateway(app);
    }

    /// <summary>Logs the tenant's owner in (through <paramref name="gateway"/>) and returns the bearer token.</summary>
    public async Task<string> OwnerToken(RunningGateway gateway)
    {
        var response = await gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId = TenantId, email = OwnerEmail, password = OwnerPassword });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
    }
}

/// <summary>A started gateway and how to reach it.</summary>
public sealed class RunningGateway : IAsyncDisposable
{
    private readonly WebApplication app;

    public RunningGateway(WebApplication app)
    {
        this.app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUri = new Uri(address.EndsWith('/') ? address : address + "/");
        Http = new HttpClient { BaseAddress = BaseUri };
    }

    public Uri BaseUri { get; }
    public Uri SocketUri => new UriBuilder(new Uri(BaseUri, "ws")) { Scheme = "ws" }.Uri;
    public HttpClient Http { get; }
    public IServiceProvider Services => app.Services;

    public async Task<string> CreateTenant(string tenantId, string ownerEmail, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tenants")
        {
            Content = JsonContent.Create(new
            {
                tenantId,
                name = tenantId + " Inc.",
                allowedOrigins = Array.Empty<string>(),
                owner = new { email = ownerEmail, password, displayName = "Owner of " + tenantId },
            }),
        };
        request.Headers.Add("X-Operator-Key", ClusterModeFixture.OperatorKey);
        var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["siteKey"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterModeCollection : ICollectionFixture<ClusterModeFixture>
{
    public const string Name = "cluster mode";
}
