using ChatCluster.Conversations;

namespace ChatCluster.Gateway.Delivery;

/// <summary>The gateway's shared stream subscriptions: conversation events and tenant inbox changes (C5).</summary>
public sealed class Feeds(IClusterClient client, ILoggerFactory loggers, Hosting.GatewayOptions options, TimeProvider time)
{
    public StreamFeed<ConversationEvent> Conversations { get; } =
        new(client, ChatStreams.ConversationNamespace, loggers.CreateLogger("ChatCluster.Gateway.Delivery.ConversationFeed"));

    public StreamFeed<ConversationSummary> Inboxes { get; } =
        new(client, ChatStreams.InboxNamespace, loggers.CreateLogger("ChatCluster.Gateway.Delivery.InboxFeed"),
            options.InboxActivityInterval > TimeSpan.Zero ? deliver => new InboxGate(deliver, options.InboxActivityInterval, time) : null);
}
