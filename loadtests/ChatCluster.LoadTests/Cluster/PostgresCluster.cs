using System.Security.Cryptography;
using ChatCluster.LoadTests.Gateway;

namespace ChatCluster.LoadTests.Cluster;

/// <summary>
/// ChatCluster in PostgreSQL mode on this machine, for one run: a scratch database on a local server, standalone
/// silos (<c>Storage=Postgres</c>, migrating at start) and Client-mode gateways as child processes, all on
/// loopback, with the keys docs/cluster.md requires generated per run (operator, signing, encryption, email index).
/// Disposing stops every process and drops the database.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private readonly ScratchDatabase _database;
    private readonly string _clusterId;
    private readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly string _encryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly string _emailIndexKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly IReadOnlyDictionary<string, string> _extraSiloSettings;

    private PostgresCluster(ScratchDatabase database, string clusterId, IReadOnlyDictionary<string, string> extraSiloSettings)
    {
        _database = database;
        _clusterId = clusterId;
        _extraSiloSettings = extraSiloSettings;
    }

    public ScratchDatabase Database => _database;
    public List<SiloProcess> Silos { get; } = [];
    public List<GatewayProcess> Gateways { get; } = [];

    /// <summary>Starts <paramref name="silos"/> silos one after the other (the first migrates the fresh database), then the gateways.</summary>
    public static async Task<PostgresCluster> StartAsync(string serverConnectionString, string runId, int silos, int gateways,
        IReadOnlyDictionary<string, string>? gatewaySettings, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? siloSettings = null)
    {
        var database = await ScratchDatabase.CreateAsync(serverConnectionString, runId, cancellationToken);
        var cluster = new PostgresCluster(database, "lt-" + runId, siloSettings ?? new Dictionary<string, string>());
        try
        {
            for (var i = 0; i < silos; i++) await cluster.StartSiloAsync(cancellationToken);
            for (var i = 0; i < gateways; i++) await cluster.StartGatewayAsync(gatewaySettings, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task<SiloProcess> StartSiloAsync(CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string>(_extraSiloSettings)
        {
            ["ChatCluster:Silo:ClusterId"] = _clusterId,
            ["ChatCluster:Silo:ServiceId"] = _clusterId,
            ["ChatCluster:Postgres:ConnectionString"] = _database.ConnectionString,
            ["ChatCluster:Encryption:Keys:k1"] = _encryptionKey,
            ["ChatCluster:Encryption:ActiveKeyId"] = "k1",
            ["ChatCluster:Privacy:EmailIndexKey"] = _emailIndexKey,
        };
        var silo = await SiloProcess.StartAsync($"silo{Silos.Count + 1}", settings, cancellationToken);
        Silos.Add(silo);
        return silo;
    }

    public async Task<GatewayProcess> StartGatewayAsync(IReadOnlyDictionary<string, string>? extra, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string>(extra ?? new Dictionary<string, string>())
        {
            ["ChatCluster__Gateway__Mode"] = "Client",
            ["ChatCluster__Auth__SigningKey"] = _signingKey,
            ["ChatCluster__Silo__ClusterId"] = _clusterId,
            ["ChatCluster__Silo__ServiceId"] = _clusterId,
            ["ChatCluster__Postgres__ConnectionString"] = _database.ConnectionString,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        // Every gateway of the cluster takes the first one's operator key, so one key creates tenants anywhere.
        if (Gateways.Count > 0) settings["ChatCluster__Gateway__OperatorKey"] = Gateways[0].OperatorKey;
        var gateway = await GatewayProcess.StartAsync(settings, cancellationToken);
        Gateways.Add(gateway);
        return gateway;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in Gateways) await gateway.DisposeAsync();
        foreach (var silo in Silos) await silo.DisposeAsync();
        await _database.DisposeAsync();
    }
}
