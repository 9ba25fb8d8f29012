using ChatCluster.Conversations;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// The gateways following one conversation, each until its registration expires (<see cref="ConversationFollowing.Expiry"/>).
/// Held in memory by the conversation's activation only: a new activation learns its followers again from their
/// next refresh, which tells them to catch up from the log (<see cref="IConversationGrain.Follow"/>).
/// </summary>
public sealed class ConversationFollowers(TimeProvider time)
{
    private readonly Dictionary<IConversationObserver, DateTimeOffset> lastSeen = [];

    public int Count => lastSeen.Count;

    /// <summary>Registers or refreshes <paramref name="gateway"/>; true when it was registered already.</summary>
    public bool Follow(IConversationObserver gateway)
    {
        var known = lastSeen.ContainsKey(gateway);
        lastSeen[gateway] = time.GetUtcNow();
        return known;
    }

    public void Unfollow(IConversationObserver gateway) => lastSeen.Remove(gateway);

    /// <summary>One one-way call per live gateway, whatever the number of sockets behind it; expired gateways are dropped.</summary>
    public void Push(string conversationKey, ConversationEvent[] events)
    {
        if (lastSeen.Count == 0) return;
        var now = time.GetUtcNow();
        List<IConversationObserver>? expired = null;
        foreach (var (gateway, seen) in lastSeen)
        {
            if (now - seen > ConversationFollowing.Expiry)
            {
                (expired ??= []).Add(gateway);
                continue;
            }
            _ = gateway.OnEvents(conversationKey, events);
        }
        foreach (var gateway in expired ?? []) lastSeen.Remove(gateway);
    }
}
