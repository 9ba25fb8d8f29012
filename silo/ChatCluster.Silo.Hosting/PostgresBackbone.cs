using System.Net;
using ChatCluster.Grains.Conversations;
using ChatCluster.Grains.Privacy;
using ChatCluster.Grains.Streams;
using ChatCluster.Silo.Hosting.Database;
using ChatCluster.Silo.Hosting.Encryption;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;

namespace ChatCluster.Silo.Hosting;

/// <summary>
/// Cluster mode on PostgreSQL (C2): membership, grain state ("chat", "PubSubStore"), reminders and
/// the message log in one database, all through invariant Npgsql. Streams stay in memory; see
/// docs/architecture.md ("Streams are in-memory").
/// </summary>
public static class PostgresBackbone
{
    internal const string MessageLogPool = "chatcluster-message-log";

    /// <summary>Reads <c>ChatCluster:Postgres</c>; fails at once, naming the key, when the connection string is missing or a limit is out of range.</summary>
    public static PostgresOptions ReadPostgresOptions(this IConfiguration configuration)
    {
        var options = ValidatedSection.Read<PostgresOptions>(configuration, PostgresOptions.SectionName, o => o.Problems());
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new OptionsValidationException(PostgresOptions.ConnectionStringKey, typeof(PostgresOptions),
                [$"{PostgresOptions.ConnectionStringKey} is required when {ChatSiloOptions.Section}:Storage is Postgres " +
                 "(environment variable ChatCluster__Postgres__ConnectionString), e.g. Host=127.0.0.1;Database=chatcluster;Username=chatcluster;Password=…"]);
        }
        try
        {
            _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new OptionsValidationException(PostgresOptions.ConnectionStringKey, typeof(PostgresOptions),
                [$"{PostgresOptions.ConnectionStringKey} is not a valid Npgsql connection string ({ex.GetType().Name}); expected Host=…;Database=…;Username=…;Password=…"]);
        }
        return options;
    }

    public static ISiloBuilder AddChatClusterPostgres(this ISiloBuilder silo, ChatSiloOptions options, PostgresOptions postgres, PersonalDataCipher cipher)
    {
        // Every pool below draws on one budget, so the silo never holds more than MaxConnections (issue 12).
        var budget = PostgresConnectionBudget.For(postgres);
        var connectionString = budget.Orleans;
        silo.Services.AddSingleton(postgres);
        silo.Services.AddSingleton(budget);
        silo.Services.AddSingleton(cipher);
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SchemaGate>();

        if (options.AdvertisedAddress is { Length: > 0 } advertised)
        {
            if (!IPAddress.TryParse(advertised, out var address))
                throw new OptionsValidationException($"{ChatSiloOptions.Section}:AdvertisedAddress", typeof(ChatSiloOptions),
                    [$"{ChatSiloOptions.Section}:AdvertisedAddress '{advertised}' is not an IP address."]);
            silo.ConfigureEndpoints(address, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(address));
        }
        else
        {
            silo.ConfigureEndpoints(options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
        }

        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = PostgresOptions.Invariant;
            o.ConnectionString = connectionString;
        });
        silo.Configure<ClusterMembershipOptions>(FailureDetection.Apply);

        foreach (var name in new[] { Grains.StorageNames.Chat, Grains.StorageNames.PubSub })
        {
            silo.AddAdoNetGrainStorage(name, o =>
            {
                o.Invariant = PostgresOptions.Invariant;
                o.ConnectionString = connectionString;
                // Clearing state deletes the row (R1, R5), and the grain starts over at ETag 1; docs/postgres.md.
                o.DeleteStateOnClear = true;
            });
            DatabaseFaultStorage.Decorate(silo.Services, name);
        }
        // Every "chat" state blob is sealed with AES-256-GCM before it reaches orleans_storage (S1). This runs after
        // Orleans' own post-configuration has chosen the serializer, and wraps it.
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(Grains.StorageNames.Chat).PostConfigure<IServiceProvider>((o, services) =>
        {
            if (o.GrainStorageSerializer is EncryptingGrainStorageSerializer) return;
            o.GrainStorageSerializer = new EncryptingGrainStorageSerializer(
                o.GrainStorageSerializer ?? services.GetRequiredService<IGrainStorageSerializer>(), cipher);
        });

        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = PostgresOptions.Invariant;
            o.ConnectionString = connectionString;
        });

        silo.Services.AddKeyedSingleton(MessageLogPool, (_, _) => NpgsqlDataSource.Create(budget.MessageLog));
        silo.Services.AddSingleton(services => new MessageLogWriter(
            services.GetRequiredKeyedService<NpgsqlDataSource>(MessageLogPool), postgres.MessageLog,
            services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<MessageLogWriter>>()));
        silo.Services.AddSingleton<IConversationLog>(services => new PostgresConversationLog(
            services.GetRequiredKeyedService<NpgsqlDataSource>(MessageLogPool), services.GetRequiredService<MessageLogWriter>(), cipher));
        silo.Services.AddSingleton<IStreamBookkeeping>(services => new PostgresStreamBookkeeping(
            services.GetRequiredKeyedService<NpgsqlDataSource>(MessageLogPool), options.ServiceId));
        silo.Services.AddSingleton<Grains.Integrations.IWebhookQueue>(services => new PostgresWebhookQueue(
            services.GetRequiredKeyedService<NpgsqlDataSource>(MessageLogPool), cipher));
        // Audit entries are small single-row INSERTs: they share the message log's pool instead of adding connections.
        silo.Services.AddSingleton<IAuditStore>(services => new PostgresAuditStore(services.GetRequiredKeyedService<NpgsqlDataSource>(MessageLogPool)));
        return silo;
    }
}
