using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ChatCluster.Conversations;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Integration.Tests.ClusterMode;
using ChatCluster.Silo.Hosting.Database;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;

namespace ChatCluster.Integration.Tests.Drills;

/// <summary>
/// A cluster for operator drills on a fresh, migrated PostgreSQL database: silos as separate OS processes
/// (<see cref="SiloProcess"/>) that a test may kill or stop, and gateways in this process (Client mode,
/// in-process presence). Disposing kills whatever is still running, also after a failed test.
/// </summary>
public sealed class DrillCluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly PostgresFixture postgres = new();
    private readonly string clusterId = "drill-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly Dictionary<string, string> siloSettings;

    /// <summary>The drill cluster's one encryption key (base64 of 32 random bytes).</summary>
    public string EncryptionKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Every silo files email addresses under the same keyed hash (R5 email index).</summary>
    public string EmailIndexKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private DrillCluster(Dictionary<string, string> siloSettings) => this.siloSettings = siloSettings;

    public string ConnectionString => postgres.ConnectionString;
    public List<SiloProcess> Silos { get; } = [];
    public List<RunningGateway> Gateways { get; } = [];

    /// <summary>A migrated database and nothing running yet; <paramref name="siloSettings"/> go to every silo (<c>ChatCluster:…</c> keys).</summary>
    public static async Task<DrillCluster> Create(Dictionary<string, string>? siloSettings = null)
    {
        var cluster = new DrillCluster(siloSettings ?? []);
        await cluster.postgres.InitializeAsync();
        await new DatabaseMigrator().MigrateAsync(cluster.ConnectionString);
        return cluster;
    }

    /// <summary>
    /// Starts silo processes and waits until all of them are Active in <c>orleans_membership</c>; <paramref name="only"/>
    /// adds settings for these silos alone (e.g. <c>ChatCluster:Silo:GatewayPort = 0</c>: a silo without a gateway).
    /// </summary>
    public async Task<IReadOnlyList<SiloProcess>> StartSilos(int count, IReadOnlyDictionary<string, string>? only = null)
    {
        var started = new List<SiloProcess>();
        for (var i = 0; i < count; i++)
        {
            var settings = new Dictionary<string, string>(siloSettings)
            {
                ["ChatCluster:Silo:ClusterId"] = clusterId,
                ["ChatCluster:Silo:ServiceId"] = clusterId,
                ["ChatCluster:Postgres:ConnectionString"] = ConnectionString,
                // Every silo of one cluster shares the key ring: personal data is sealed before PostgreSQL (S1).
                ["ChatCluster:Encryption:Keys:k1"] = EncryptionKey,
                ["ChatCluster:Encryption:ActiveKeyId"] = "k1",
                ["ChatCluster:Privacy:EmailIndexKey"] = EmailIndexKey,
            };
            foreach (var (key, value) in only ?? new Dictionary<string, string>()) settings[key] = value;
            var silo = SiloProcess.Start(settings);
            Silos.Add(silo);
            started.Add(silo);
        }
        foreach (var silo in started) await WaitUntilActive(silo);
        return started;
    }

    public async Task WaitUntilActive(SiloProcess silo)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (await MembershipStatus(silo) != ActiveStatus)
        {
            if (silo.HasExited) throw new InvalidOperationException($"The silo on port {silo.SiloPort} exited during start. Output:\n{silo.Output}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The silo on port {silo.SiloPort} was not Active within {StartTimeout.TotalSeconds} s. Output:\n{silo.Output}");
            await Task.Delay(250);
        }
    }

    /// <summary>Orleans' status code of the silo's newest membership row (3 Active, 6 Dead), or -1 without one.</summary>
    public async Task<int> MembershipStatus(SiloProcess silo) => await Sql.ScalarAsync<int>(ConnectionString,
        "SELECT coalesce((SELECT status FROM orleans_membership WHERE deployment_id = @d AND port = @p ORDER BY generation DESC LIMIT 1), -1)",
        ("d", clusterId), ("p", silo.SiloPort));

    public const int ActiveStatus = 3;
    public const int DeadStatus = 6;

    public async Task<RunningGateway> StartGateway(string? redis = null, Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configure = null)
    {
        var settings = ClusterModeFixture.ClientGatewaySettings(clusterId, ConnectionString, signingKey, redis);
        var app = GatewayApp.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            configure?.Invoke(b);
        });
        await app.StartAsync();
        var gateway = new RunningGateway(app);
        Gateways.Add(gateway);
        return gateway;
    }

    /// <summary>The silo process that holds the conversation's activation now, or null.</summary>
    public async Task<SiloProcess?> HostOf(RunningGateway gateway, string tenantId, string conversationId)
    {
        var grains = gateway.Services.GetRequiredService<IClusterClient>();
        var conversation = grains.GetGrain<IConversationGrain>(GrainKeys.Scoped(tenantId, conversationId));
        var address = await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(conversation);
        return address is null ? null : Silos.SingleOrDefault(s => s.SiloPort == address.Endpoint.Port);
    }

    public async Task<long> MessageRows(string tenantId, string conversationId) => await Sql.ScalarAsync<long>(ConnectionString,
        "SELECT count(*) FROM conversation_messages WHERE tenant_id = @t AND conversation_id = @c", ("t", tenantId), ("c", conversationId));

    /// <summary>Logs in through <paramref name="gateway"/>; returns the bearer token.</summary>
    public static async Task<string> Login(RunningGateway gateway, string tenantId, string email, string password)
    {
        var response = await gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId, email, password });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in Gateways)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await gateway.DisposeAsync().AsTask().WaitAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or OrleansException or ObjectDisposedException)
            {
                // A gateway whose silos are gone may take long to stop; the processes below are killed anyway.
            }
        }
        foreach (var silo in Silos) await silo.DisposeAsync();
        await postgres.DisposeAsync();
    }
}
