using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Gateway.Tests;
using ChatCluster.Integration.Tests.ClusterMode;
using ChatCluster.Silo.Hosting.Database;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace ChatCluster.Integration.Tests.Durable;

/// <summary>
/// PostgreSQL mode as a site runs it: one silo (the production <c>SiloSetup</c>, Storage=Postgres) on a migrated
/// database, one Client-mode gateway in front of it, and one tenant. The silo's sessions carry
/// <see cref="SiloApplicationName"/> so a test can count them in <c>pg_stat_activity</c>; the gateway's do not.
/// </summary>
public sealed class DurableCluster : IAsyncDisposable
{
    public const string TenantId = "durable";

    private readonly string clusterId = "durable-" + Guid.NewGuid().ToString("N")[..8];
    private IHost? silo;

    private DurableCluster(string siloApplicationName) => SiloApplicationName = siloApplicationName;

    public string SiloApplicationName { get; }
    public RunningGateway Gateway { get; private set; } = null!;
    public string SiteKey { get; private set; } = "";

    /// <param name="connectionString">A migrated database; the silo's and the gateway's application names are set here.</param>
    /// <param name="extra">More silo settings, e.g. <c>ChatCluster:Postgres:MaxConnections</c>.</param>
    public static async Task<DurableCluster> Start(string connectionString, IDictionary<string, string?>? extra = null)
    {
        var cluster = new DurableCluster("silo-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await cluster.Boot(connectionString, extra);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task Boot(string connectionString, IDictionary<string, string?>? extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ChatCluster:Silo:Storage"] = "Postgres",
            ["ChatCluster:Silo:SiloPort"] = ListenPorts.Next().ToString(),
            ["ChatCluster:Silo:GatewayPort"] = ListenPorts.Next().ToString(),
            ["ChatCluster:Silo:AdvertisedAddress"] = "127.0.0.1",
            ["ChatCluster:Silo:ClusterId"] = clusterId,
            ["ChatCluster:Silo:ServiceId"] = clusterId,
            ["ChatCluster:Postgres:ConnectionString"] = WithApplicationName(connectionString, SiloApplicationName),
            ["ChatCluster:Encryption:Keys:k1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["ChatCluster:Encryption:ActiveKeyId"] = "k1",
            ["ChatCluster:Privacy:EmailIndexKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
        silo = await ClusterModeFixture.StartSilo(settings);

        var gatewaySettings = ClusterModeFixture.ClientGatewaySettings(clusterId, WithApplicationName(connectionString, "gateway"),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), redis: null);
        var app = GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(gatewaySettings));
        await app.StartAsync();
        Gateway = new RunningGateway(app);
        SiteKey = await Gateway.CreateTenant(TenantId, "owner@durable.test", "owner-password-123");
    }

    /// <summary>A visitor with a started conversation.</summary>
    public async Task<(ChatClient Visitor, string ConversationId)> Visitor(string? email = null)
    {
        var visitor = await ChatClient.Connect(Gateway.SocketUri, Encoding2.MessagePack);
        await visitor.HelloVisitor(SiteKey);
        return (visitor, await visitor.StartConversation(email is null ? null : "Visitor", email));
    }

    public async ValueTask DisposeAsync()
    {
        if (Gateway is not null) await Gateway.DisposeAsync();
        if (silo is not null)
        {
            await silo.StopAsync();
            silo.Dispose();
        }
    }

    /// <summary>
    /// The sessions of this cluster's silo right now, all its pools together: the budget's pools (<c>{name}/…</c>) and
    /// any pool that kept the configured name as it is (one made beside the budget).
    /// </summary>
    public static Task<long> Sessions(string connectionString, string applicationName) =>
        Sql.ScalarAsync<long>(WithApplicationName(connectionString, "counter"),
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = @name OR starts_with(application_name, @prefix)",
            ("name", applicationName), ("prefix", applicationName + "/"));

    public static string WithApplicationName(string connectionString, string name) =>
        new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = name }.ConnectionString;

    /// <summary>
    /// Sends one message as the widget does: on a retryable error (<c>unavailable</c>, or <c>rate_limited</c> while the
    /// gateway's delivery catches up after the outage) it waits the hinted time and sends it again with the
    /// same client message id, until it is acknowledged; returns the ack. Frames are read from <see cref="ChatClient.Seen"/>.
    /// </summary>
    public static async Task<JsonObject> SendUntilAcknowledged(ChatClient client, string conversationId, string clientMessageId, string text, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            var before = client.Seen.Count;
            await client.Send(new { type = "send", id = clientMessageId, conversationId, clientMessageId, text });
            while (true)
            {
                var answer = client.Seen.Skip(before).FirstOrDefault(f =>
                    ((string?)f["type"] == "ack" && (string?)f["clientMessageId"] == clientMessageId)
                    || ((string?)f["type"] == "error" && (string?)f["id"] == clientMessageId));
                if (answer is not null)
                {
                    if ((string?)answer["type"] == "ack") return answer;
                    if ((string?)answer["code"] is not (ErrorCodes.Unavailable or ErrorCodes.RateLimited))
                        throw new InvalidOperationException($"{clientMessageId} was refused: {answer.ToJsonString()}");
                    Assert.True((long?)answer["retryAfterMs"] > 0, $"a retryable error carries retryAfterMs: {answer.ToJsonString()}");
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, (long)answer["retryAfterMs"]!)));
                    break;
                }
                if (client.State != System.Net.WebSockets.WebSocketState.Open)
                    throw new InvalidOperationException($"The socket closed ({client.CloseStatus} {client.CloseDescription}) while {clientMessageId} waited for its ack.");
                if (DateTime.UtcNow > deadline) break;
                await Task.Delay(20);
            }
        }
        throw new TimeoutException($"{clientMessageId} was not acknowledged within {within}. Seen: {string.Join(" | ", client.Seen.TakeLast(10).Select(f => f.ToJsonString()))}");
    }
}
