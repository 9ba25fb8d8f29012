using ChatCluster.Grains.Conversations;
using ChatCluster.Silo.Hosting.Encryption;
using ChatCluster.Silo.Hosting.Mail;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;

namespace ChatCluster.Silo.Hosting;

/// <summary>
/// The one place that decides how a ChatCluster silo is wired: used by the standalone silo and by
/// the gateway's embedded default, so both run the same grains on the same providers.
/// </summary>
public static class SiloSetup
{
    public static ISiloBuilder AddChatClusterSilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = configuration.GetSection(ChatSiloOptions.Section).Get<ChatSiloOptions>() ?? new ChatSiloOptions();
        silo.Services.AddSingleton(options);
        silo.Services.TryAddSingleton(TimeProvider.System);
        var responseTimeout = FailureDetection.ValidResponseTimeout(options);
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = responseTimeout);

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });

        switch (options.Storage)
        {
            case StorageKind.Memory:
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
                silo.AddChatClusterInMemoryProviders();
                silo.Services.AddSingleton(configuration.ReadPersonalDataCipher(required: false));
                break;
            case StorageKind.Postgres:
                var postgres = configuration.ReadPostgresOptions();
                silo.AddChatClusterPostgres(options, postgres, configuration.ReadPersonalDataCipher(required: true));
                break;
            default:
                throw new InvalidOperationException(
                    $"ChatCluster:Silo:Storage = {options.Storage} is not a storage kind; use Memory or Postgres.");
        }

        // Every silo collects Orleans Dashboard data; gateways serve the dashboard behind the operator key.
        silo.AddDashboard();
        silo.AddChatMail(configuration);
        return silo.AddChatClusterGrainServices(options, configuration);
    }

    /// <summary>
    /// What the grains need whatever the storage: streams, the retention engine, the self-service limits and the email index key. Test clusters call
    /// this after choosing their providers, so they run the grains exactly as a real silo does.
    /// </summary>
    public static ISiloBuilder AddChatClusterGrainServices(this ISiloBuilder silo, ChatSiloOptions options, IConfiguration configuration)
    {
        silo.AddChatStreams(options);
        silo.AddChatRetention(configuration);
        silo.AddChatSelfService(configuration);
        silo.AddChatEmailIndexKey(configuration, required: options.Storage == StorageKind.Postgres);
        silo.AddIncomingGrainCallFilter<Database.GrainBoundaryFaults>();
        return silo;
    }

    /// <summary>In-memory storage, reminders and message log: the embedded default and fast grain tests.</summary>
    public static ISiloBuilder AddChatClusterInMemoryProviders(this ISiloBuilder silo)
    {
        silo.AddMemoryGrainStorage(Grains.StorageNames.Chat);
        silo.AddMemoryGrainStorage(Grains.StorageNames.PubSub);
        silo.UseInMemoryReminderService();
        silo.Services.TryAddSingleton<IConversationLog, InMemoryConversationLog>();
        return silo;
    }

    public static ISiloBuilder AddChatStreams(this ISiloBuilder silo, ChatSiloOptions options)
    {
        silo.AddMemoryStreams(ChatStreams.Provider, streams =>
            streams.ConfigurePullingAgent(agent => agent.Configure(o => o.GetQueueMsgsTimerPeriod = options.StreamPollInterval)));
        return silo;
    }
}
