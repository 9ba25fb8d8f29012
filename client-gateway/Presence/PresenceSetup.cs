namespace ChatCluster.Gateway.Presence;

/// <summary>Picks the presence bus: Redis when <c>ChatCluster:Redis:ConnectionString</c> is set, in-process otherwise.</summary>
public static class PresenceSetup
{
    public static IServiceCollection AddChatPresence(this IServiceCollection services, IConfiguration configuration)
    {
        var redis = configuration.GetSection(RedisOptions.Section).Get<RedisOptions>() ?? new RedisOptions();
        if (redis.IsConfigured)
        {
            services.AddSingleton(redis);
            services.AddSingleton<RedisPresenceBus>();
            services.AddSingleton<IPresenceBus>(sp => sp.GetRequiredService<RedisPresenceBus>());
            services.AddHostedService(sp => sp.GetRequiredService<RedisPresenceBus>());
        }
        else
        {
            services.AddSingleton<IPresenceBus, LocalPresenceBus>();
        }
        services.AddSingleton<PresenceTracker>();
        return services;
    }
}
