using Orleans.Concurrency;

namespace ChatCluster.Conversations;

/// <summary>
/// A gateway that has sockets following conversations (C5): one observer per gateway process, registered with
/// each conversation it follows (<see cref="IConversationGrain.Follow"/>). The conversation pushes its events
/// here; the gateway fans them out to its local sockets. No poll sits between the grain and the gateway.
/// </summary>
public interface IConversationObserver : IGrainObserver
{
    /// <summary>
    /// Events of the conversation keyed <paramref name="conversationKey"/> (<c>{tenant}/{conversation}</c>), oldest first,
    /// as one grain call produced them. One-way: a lost or reordered batch is repaired by the gateway from the
    /// conversation's log (docs/protocol.md §5), so the grain never waits for a gateway.
    /// </summary>
    [OneWay]
    Task OnEvents(string conversationKey, ConversationEvent[] events);
}

/// <summary>How long a conversation keeps a gateway's registration without a refresh (GPSTracker's hub registry does the same).</summary>
public static class ConversationFollowing
{
    /// <summary>A gateway that has not refreshed its registration this long is forgotten: a dead gateway ages out by itself.</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(2);
}
