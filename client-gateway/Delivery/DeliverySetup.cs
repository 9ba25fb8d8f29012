namespace ChatCluster.Gateway.Delivery;

/// <summary>Wiring of delivery: pushed conversation events, the inbox feed and the delivery-lag bound.</summary>
public static class DeliverySetup
{
    public static IServiceCollection AddChatDelivery(this IServiceCollection services)
    {
        services.AddSingleton<ConversationHub>();
        services.AddSingleton<DeliveryPressure>();
        services.AddSingleton<Feeds>();
        services.AddHostedService<FollowRefresher>();
        return services;
    }
}
