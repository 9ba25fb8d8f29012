using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Gateway.Tests;
using ChatCluster.Integration.Tests.ClusterMode;
using ChatCluster.Silo.Hosting.Database;
using ChatCluster.Silo.Hosting.Encryption;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>
/// The real stores a person's data can reach: one silo with Storage=Postgres (restartable), one gateway
/// in Client mode with Redis presence, an outbox folder of its own. Tenants may choose retention periods
/// of seconds and holders check every second, so expiry is seen in real time over the real stack.
/// </summary>
public class PrivacyStoreFixture : IAsyncLifetime
{
    public const string OwnerPassword = "owner-password-123";

    private readonly PostgresFixture postgres = new();
    private readonly string clusterId = "privacy-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private Dictionary<string, string?> siloSettings = [];
    private IHost? silo;

    public RedisServer Redis { get; } = new();
    public string ConnectionString => postgres.ConnectionString;
    public string OutboxPath { get; } = Path.Combine(Path.GetTempPath(), "chatcluster-outbox-" + Guid.NewGuid().ToString("N")[..8]);
    public RunningGateway Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await postgres.InitializeAsync();
        await new DatabaseMigrator().MigrateAsync(ConnectionString);
        await Redis.Start();
        siloSettings = SiloSettings();
        silo = await ClusterModeFixture.StartSilo(siloSettings);
        var app = GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(GatewaySettings()));
        await app.StartAsync();
        Gateway = new RunningGateway(app);
    }

    public async Task DisposeAsync()
    {
        if (Gateway is not null) await Gateway.DisposeAsync();
        await StopSilo();
        await Redis.DisposeAsync();
        await postgres.DisposeAsync();
        if (Directory.Exists(OutboxPath)) Directory.Delete(OutboxPath, recursive: true);
    }

    /// <summary>Stops the silo (its activations and in-memory timers die) and starts a fresh one on the same database.</summary>
    public async Task RestartSilo(Action<Dictionary<string, string?>>? change = null)
    {
        await StopSilo();
        change?.Invoke(siloSettings);
        silo = await ClusterModeFixture.StartSilo(siloSettings);
    }

    /// <summary>The silo's current key ring, to open sealed values when searching for what is still stored.</summary>
    public PersonalDataCipher Cipher() =>
        new ConfigurationBuilder().AddInMemoryCollection(siloSettings).Build().ReadPersonalDataCipher(required: true);

    /// <summary>The mail kept in the database outbox under the tenant and subject, opened with the key ring.</summary>
    public Task<List<string>> OutboxMail(string tenantId, string subjectId) =>
        StoreSearch.OutboxMail(ConnectionString, Cipher(), tenantId, subjectId);

    private async Task StopSilo()
    {
        if (silo is null) return;
        await silo.StopAsync();
        silo.Dispose();
        silo = null;
    }

    protected virtual Dictionary<string, string?> SiloSettings() => new()
    {
        ["ChatCluster:Silo:Storage"] = "Postgres",
        ["ChatCluster:Silo:SiloPort"] = ListenPorts.Next().ToString(),
        ["ChatCluster:Silo:GatewayPort"] = ListenPorts.Next().ToString(),
        ["ChatCluster:Silo:AdvertisedAddress"] = "127.0.0.1",
        ["ChatCluster:Silo:ClusterId"] = clusterId,
        ["ChatCluster:Silo:ServiceId"] = clusterId,
        ["ChatCluster:Postgres:ConnectionString"] = ConnectionString,
        ["ChatCluster:Retention:MinimumPeriod"] = "00:00:01",
        ["ChatCluster:Retention:CheckInterval"] = "00:00:01",
        ["ChatCluster:Mail:OutboxPath"] = OutboxPath,
        ["ChatCluster:Encryption:Keys:k1"] = FirstKey,
        ["ChatCluster:Encryption:ActiveKeyId"] = "k1",
        ["ChatCluster:Privacy:EmailIndexKey"] = EmailIndexKey,
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>The secret of the email index's keyed hash; kept across silo restarts like the key ring.</summary>
    public string EmailIndexKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>The key the silo seals personal data with at first (key id <c>k1</c>).</summary>
    public string FirstKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private Dictionary<string, string?> GatewaySettings() =>
        ClusterModeFixture.ClientGatewaySettings(clusterId, ConnectionString, signingKey, Redis.ConnectionString);

    /// <summary>A new tenant with an owner; returns its id, site key and the owner's bearer token.</summary>
    public async Task<(string TenantId, string SiteKey, string OwnerToken)> NewTenant()
    {
        var tenantId = "t" + Guid.NewGuid().ToString("N")[..10];
        var ownerEmail = $"owner@{tenantId}.test";
        var siteKey = await Gateway.CreateTenant(tenantId, ownerEmail, OwnerPassword);
        var login = await Gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId, email = ownerEmail, password = OwnerPassword });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        return (tenantId, siteKey, token);
    }

    public async Task<HttpResponseMessage> Send(HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await Gateway.Http.SendAsync(request);
    }

    public async Task<JsonObject> Json(HttpMethod method, string path, string token, object? body = null)
    {
        var response = await Send(method, path, token, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>
    /// A visitor socket whose connection comes from <paramref name="from"/> (any 127/8 address is loopback on
    /// Linux) with its own user agent, so the IP and user agent the gateway records are needles no other
    /// row contains (the membership table holds 127.0.0.1).
    /// </summary>
    public Task<ChatClient> ConnectVisitor(IPAddress from, string userAgent)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port, cancellation);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return ChatClient.Connect(Gateway.SocketUri, Encoding2.Json,
            configure: o => o.SetRequestHeader("User-Agent", userAgent), invoker: new HttpMessageInvoker(handler));
    }
}
