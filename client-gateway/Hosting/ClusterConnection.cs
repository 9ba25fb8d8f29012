using ChatCluster.Silo.Hosting;
using ChatCluster.Silo.Hosting.Database;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace ChatCluster.Gateway.Hosting;

/// <summary>
/// How the gateway reaches the grains: the one switch between the embedded default (a silo in this
/// process) and cluster mode (a pure Orleans client). Everything above this uses <see cref="IClusterClient"/>.
/// </summary>
public static class ClusterConnection
{
    public static WebApplicationBuilder AddChatClusterConnection(this WebApplicationBuilder builder, GatewayOptions options)
    {
        switch (options.Mode)
        {
            case ClusterMode.Embedded:
                ChooseFreePortsForALoneSilo(builder.Configuration);
                builder.UseOrleans(silo => silo.AddChatClusterSilo(builder.Configuration));
                break;
            case ClusterMode.Client:
                var silo = builder.Configuration.GetSection(ChatSiloOptions.Section).Get<ChatSiloOptions>() ?? new ChatSiloOptions();
                var responseTimeout = FailureDetection.ValidResponseTimeout(silo);
                builder.UseOrleansClient(client =>
                {
                    UseClustering(client, silo, builder.Configuration);
                    // A call stuck on a dead silo fails in seconds and is answered unavailable (docs/architecture.md, "When something dies").
                    client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = responseTimeout);
                    // The cluster manifest lists the live silos; refreshing it every second lets SiloLossResync see a silo die.
                    client.Configure<TypeManagementOptions>(o => o.TypeMapRefreshInterval = FailureDetection.ManifestRefreshPeriod);
                    client.AddClusterConnectionStatusObserver<Delivery.ClusterChangeResync>();
                    client.AddMemoryStreams(ChatStreams.Provider);
                    // The gateway serves the Orleans Dashboard (behind the operator key); the silos collect its data.
                    client.AddDashboard();
                });
                builder.Services.AddHostedService<Delivery.SiloLossResync>();
                break;
        }
        return builder;
    }

    /// <summary>
    /// An embedded silo on in-memory storage is alone: its silo and gateway ports are used inside this process only.
    /// Unless they are configured, take free ones, so a second embedded gateway on the same machine (a demo beside
    /// a test run) starts instead of failing on ports 11111/30000.
    /// </summary>
    private static void ChooseFreePortsForALoneSilo(ConfigurationManager configuration)
    {
        var silo = configuration.GetSection(ChatSiloOptions.Section).Get<ChatSiloOptions>() ?? new ChatSiloOptions();
        if (silo.Storage != StorageKind.Memory) return;
        var chosen = new Dictionary<string, string?>();
        foreach (var key in new[] { nameof(ChatSiloOptions.SiloPort), nameof(ChatSiloOptions.GatewayPort) })
        {
            var setting = $"{ChatSiloOptions.Section}:{key}";
            if (string.IsNullOrEmpty(configuration[setting])) chosen[setting] = ListenPorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (chosen.Count > 0) configuration.AddInMemoryCollection(chosen);
    }


    /// <summary>
    /// Silos found through PostgreSQL membership when <c>ChatCluster:Postgres:ConnectionString</c> is set
    /// (cluster mode), the local silo's gateway port otherwise.
    /// </summary>
    private static void UseClustering(IClientBuilder client, ChatSiloOptions silo, IConfiguration configuration)
    {
        var connectionString = configuration[PostgresOptions.ConnectionStringKey];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            client.UseLocalhostClustering(silo.GatewayPort, silo.ServiceId, silo.ClusterId);
            return;
        }

        var postgres = configuration.ReadPostgresOptions();
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = silo.ClusterId;
            o.ServiceId = silo.ServiceId;
        });
        client.UseAdoNetClustering(o =>
        {
            o.Invariant = PostgresOptions.Invariant;
            o.ConnectionString = postgres.ConnectionString;
        });
        // A dead silo's gateway drops out of the list within seconds (docs/architecture.md, "Noticing a dead silo").
        client.Configure<Orleans.Configuration.GatewayOptions>(o => o.GatewayListRefreshPeriod = FailureDetection.GatewayListRefreshPeriod);
    }
}
