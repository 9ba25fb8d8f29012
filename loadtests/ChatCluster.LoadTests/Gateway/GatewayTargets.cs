using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Scenarios;

namespace ChatCluster.LoadTests.Gateway;

/// <summary>What every ChatCluster scenario shares: its options, its targets and the tenant each process creates.</summary>
public static class GatewayTargets
{
    public const string TenantItem = "chatcluster.tenant";

    public static readonly ScenarioOption Encoding = new("encoding", "json | msgpack: the wire encoding of every socket", "json");
    public static readonly ScenarioOption OperatorKey = new("operator-key", "with --url: the gateway's operator key (ChatCluster__Gateway__OperatorKey); the run creates its own tenant with it", "");
    public static readonly ScenarioOption GatewayPid = new("gateway-pid", "with --url: process id(s) of the gateway(s), comma-separated, to read their memory from /proc", "");

    public static readonly ScenarioOption Target = new("target", "without --url: embedded (the in-memory default) | postgres (scratch database, a Postgres-mode silo and a Client-mode gateway, as child processes)", "embedded");
    public static readonly ScenarioOption Postgres = new("postgres", "with --target postgres: the local server the scratch database goes on (loopback only)", Cluster.ScratchDatabase.DefaultServer);

    public static readonly ScenarioOption Metrics = new("metrics", "Prometheus endpoints to count grain calls, stream events and storage writes per message, as name=url,… (default: each --url's /metrics; the harness names its own children)", "");

    public static readonly ScenarioOption GatewayGc = new("gateway-gc", "server | workstation: the GC of the gateway child started without --url (DOTNET_gcServer); server is the ASP.NET Core default", "server");

    /// <summary>A gateway scenario's own options followed by the ones every gateway scenario takes.</summary>
    public static IReadOnlyList<ScenarioOption> OptionsWith(params ScenarioOption[] own) =>
        [.. own, Encoding, Target, Postgres, OperatorKey, GatewayPid, Metrics, GatewayGc];

    /// <summary>The server counters of the target: --metrics, or the gateways' own endpoints. Only worker 0 reads them (once for the run).</summary>
    public static ServerCounters? ServerCountersOf(RunSettings settings, Network.LoopbackConnector connector)
    {
        if (settings.WorkerIndex != 0) return null;
        var given = settings.ScenarioOptions.TryGetValue(Metrics.Name, out var m) ? m : "";
        var sources = given.Length > 0
            ? given.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(entry =>
            {
                var eq = entry.IndexOf('=', StringComparison.Ordinal);
                return eq > 0 ? (entry[..eq], new Uri(entry[(eq + 1)..])) : ("server", new Uri(entry));
            }).ToList()
            : settings.Urls.Select((u, i) => (settings.Urls.Count == 1 ? "gateway" : $"gateway{i + 1}", new Uri(u, "/metrics"))).ToList();
        return sources.Count == 0 ? null : new ServerCounters(connector.NextInvoker(), sources);
    }

    public static WireEncoding EncodingOf(RunSettings settings) => WireCodec.Parse(settings.Option(Encoding.Name));

    /// <summary>
    /// The --url gateways, or the embedded default started as a child process. Either way a sampler watches
    /// their connections (and memory, when the process is known) for the report.
    /// </summary>
    /// <param name="siloSettings">With --target postgres: settings of the standalone silo (colon keys), e.g. what its grains may do.</param>
    public static async Task<TargetLease> ProvideAsync(RunSettings settings, IReadOnlyDictionary<string, string> gatewaySettings, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? siloSettings = null)
    {
        if (settings.Urls.Count > 0)
        {
            var pids = settings.Option(GatewayPid.Name).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => (int?)int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            var watched = settings.Urls.Select((u, i) => (u, i < pids.Count ? pids[i] : null)).ToList();
            var external = await GatewaySampler.StartAsync(watched, cancellationToken);
            return new TargetLease(settings.Urls, settings.Urls.Count == 1 ? "ChatCluster gateway" : $"{settings.Urls.Count} ChatCluster gateways", external)
            {
                Measure = external.FinishAsync,
            };
        }
        var childSettings = new Dictionary<string, string>(gatewaySettings);
        var gc = settings.ScenarioOptions.TryGetValue(GatewayGc.Name, out var mode) ? mode.ToLowerInvariant() : "server";
        childSettings["DOTNET_gcServer"] = gc switch
        {
            "server" => "1",
            "workstation" => "0",
            _ => throw new ArgumentException($"--gateway-gc must be server or workstation, not '{gc}'."),
        };
        var target = settings.ScenarioOptions.TryGetValue(Target.Name, out var t) ? t.ToLowerInvariant() : "embedded";
        if (target == "postgres") return await ProvidePostgresAsync(settings, childSettings, siloSettings, cancellationToken);
        if (target != "embedded") throw new ArgumentException($"--target must be embedded or postgres, not '{target}'.");
        var gateway = await GatewayProcess.StartAsync(childSettings, cancellationToken);
        var sampler = await GatewaySampler.StartAsync([(gateway.Url, gateway.ProcessId)], cancellationToken);
        var label = "ChatCluster embedded default (child process" + (gc == "server" ? ")" : $", {gc} GC)");
        return new TargetLease([gateway.Url], label, new Owned(sampler, gateway))
        {
            Options = new Dictionary<string, string> { [OperatorKey.Name] = gateway.OperatorKey },
            Measure = sampler.FinishAsync,
        };
    }

    /// <summary>The PostgreSQL-mode pair in one command: scratch database, one silo (migrating at start), one Client-mode gateway.</summary>
    private static async Task<TargetLease> ProvidePostgresAsync(RunSettings settings, Dictionary<string, string> gatewaySettings,
        IReadOnlyDictionary<string, string>? siloSettings, CancellationToken cancellationToken)
    {
        var server = settings.ScenarioOptions.TryGetValue(Postgres.Name, out var given) && given.Length > 0 ? given : Cluster.ScratchDatabase.DefaultServer;
        var cluster = await Cluster.PostgresCluster.StartAsync(server, settings.RunId, silos: 1, gateways: 1, gatewaySettings, cancellationToken, siloSettings);
        GatewaySampler sampler;
        try { sampler = await GatewaySampler.StartAsync([(cluster.Gateways[0].Url, cluster.Gateways[0].ProcessId)], cancellationToken); }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return new TargetLease([cluster.Gateways[0].Url], "ChatCluster on PostgreSQL (silo + Client-mode gateway, child processes)", new OwnedCluster(sampler, cluster))
        {
            Options = new Dictionary<string, string>
            {
                [OperatorKey.Name] = cluster.Gateways[0].OperatorKey,
                [Metrics.Name] = string.Join(',', cluster.Silos.Select(s => $"{s.Name}={s.MetricsUrl}").Prepend($"gateway={new Uri(cluster.Gateways[0].Url, "/metrics")}")),
            },
            Measure = async () =>
            {
                var measured = await sampler.FinishAsync();
                measured.Add(new Reporting.TargetMeasurement("postgres", "connections to the run's database at the end", await cluster.Database.ConnectionsAsync(CancellationToken.None), "connections", "pg_stat_activity"));
                measured.Add(new Reporting.TargetMeasurement("silo", "fail:/crit: log lines", cluster.Silos.Sum(s => s.FailureLines().Count), "lines", "Warning level and above is logged"));
                return measured;
            },
        };
    }

    /// <summary>Scenario init: this process's own tenant (ids unique per run and worker), kept in the context's items.</summary>
    public static async Task<LoadTenant> CreateTenantAsync(ScenarioContext context)
    {
        var settings = context.Settings;
        var api = Api(context, settings.Urls[0]);
        var tenant = await api.CreateTenantAsync(settings.Option(OperatorKey.Name), $"lt-{settings.RunId}-w{settings.WorkerIndex}".ToLowerInvariant(), context.Aborted);
        context.Items[TenantItem] = tenant;
        return tenant;
    }

    /// <summary>
    /// Scenario init with pairs spread over tenants as real sites are: <paramref name="count"/> tenants of this process
    /// (<c>lt-&lt;run&gt;-w&lt;worker&gt;-t&lt;i&gt;</c>), a few at a time (each owner login is a bcrypt check).
    /// </summary>
    public static async Task<IReadOnlyList<LoadTenant>> CreateTenantsAsync(ScenarioContext context, int count)
    {
        var settings = context.Settings;
        var api = Api(context, settings.Urls[0]);
        var tenants = new LoadTenant[count];
        using var gate = new SemaphoreSlim(4);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(context.Aborted);
            try { tenants[i] = await api.CreateTenantAsync(settings.Option(OperatorKey.Name), $"lt-{settings.RunId}-w{settings.WorkerIndex}-t{i}".ToLowerInvariant(), context.Aborted); }
            finally { gate.Release(); }
        }));
        context.Items[TenantItem] = tenants[0];
        context.Items[TenantsItem] = tenants;
        return tenants;
    }

    public const string TenantsItem = "chatcluster.tenants";

    /// <summary>The tenants <see cref="CreateTenantsAsync"/> made, in order.</summary>
    public static IReadOnlyList<LoadTenant> Tenants(ScenarioContext context) =>
        context.Items.TryGetValue(TenantsItem, out var tenants) ? (LoadTenant[])tenants : [Tenant(context)];

    public static LoadTenant Tenant(ScenarioContext context) =>
        context.Items.TryGetValue(TenantItem, out var tenant) ? (LoadTenant)tenant : throw new InvalidOperationException("The scenario's init did not create a tenant.");

    public static GatewayApi Api(ScenarioContext context, Uri gateway) => new(context.Connector.NextInvoker(), gateway);

    /// <summary>Visitor socket: connect and hello with the site key; returns the socket and the welcome.</summary>
    public static Task<(GatewaySocket Socket, WireFrame Welcome)> VisitorAsync(ScenarioContext context, Uri gateway, WireEncoding encoding, CancellationToken cancellationToken) =>
        VisitorAsync(context, gateway, encoding, Tenant(context).SiteKey, cancellationToken);

    public static async Task<(GatewaySocket Socket, WireFrame Welcome)> VisitorAsync(ScenarioContext context, Uri gateway, WireEncoding encoding, string siteKey, CancellationToken cancellationToken)
    {
        var socket = await GatewaySocket.ConnectAsync(context.Connector, gateway, encoding, cancellationToken);
        try
        {
            var welcome = await socket.RequestAsync("welcome", cancellationToken, ("type", "hello"), ("role", "visitor"), ("siteKey", siteKey));
            return (socket, welcome);
        }
        catch
        {
            await socket.DisposeAsync();
            throw;
        }
    }

    /// <summary>Agent socket: connect and hello with a bearer token.</summary>
    public static async Task<(GatewaySocket Socket, WireFrame Welcome)> AgentAsync(ScenarioContext context, Uri gateway, WireEncoding encoding, string token, CancellationToken cancellationToken)
    {
        var socket = await GatewaySocket.ConnectAsync(context.Connector, gateway, encoding, cancellationToken);
        try
        {
            var welcome = await socket.RequestAsync("welcome", cancellationToken, ("type", "hello"), ("role", "agent"), ("token", token));
            return (socket, welcome);
        }
        catch
        {
            await socket.DisposeAsync();
            throw;
        }
    }

    private sealed class OwnedCluster(GatewaySampler sampler, Cluster.PostgresCluster cluster) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await sampler.DisposeAsync();
            await cluster.DisposeAsync();
        }
    }

    private sealed class Owned(GatewaySampler sampler, GatewayProcess gateway) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await sampler.DisposeAsync();
            await gateway.DisposeAsync();
        }
    }
}
