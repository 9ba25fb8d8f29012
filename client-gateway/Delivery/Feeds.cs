using ChatCluster.Conversations;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Delivery;

/// <summary>
/// The gateway's shared stream subscriptions: tenant inbox changes (C5). Conversation events are pushed, not streamed
/// (<see cref="ConversationHub"/>; docs/architecture.md, "What carries what").
/// </summary>
public sealed class Feeds(IClusterClient client, ILoggerFactory loggers, Hosting.GatewayOptions options, TimeProvider time)
{
    /// <summary>Per tenant: the frames its agent sockets get (see <see cref="InboxGate"/>).</summary>
    public StreamFeed<ConversationSummary, ServerFrame> Inboxes { get; } =
        new(client, ChatStreams.InboxNamespace, loggers.CreateLogger("ChatCluster.Gateway.Delivery.InboxFeed"),
            deliver => new InboxGate(deliver, options.InboxActivityInterval, time));
}
