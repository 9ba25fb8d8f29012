using ChatCluster.Gateway.Delivery;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Sockets;

/// <summary>
/// The socket's side of delivery: conversations are followed by its <see cref="ConversationFollower"/> (created at the
/// first follow, it sends through <see cref="IFrameSink"/>); an agent socket also hears its tenant's inbox.
/// </summary>
public sealed partial class ChatConnection : IFrameSink, IFeedListener<ServerFrame>
{
    /// <summary>A socket may follow this many conversations at once.</summary>
    public const int MaxWatchedConversations = ConversationFollower.MaxWatchedConversations;

    private ConversationFollower? follower;

    /// <summary>An inbox frame for this agent socket, built once for all of them (<see cref="InboxGate"/>).</summary>
    void IFeedListener<ServerFrame>.OnEvent(string key, ServerFrame frame) => Send(frame);

    /// <summary>Follows a conversation through this socket's follower (see <see cref="ConversationFollower.Watch"/>).</summary>
    private Task Watch(Session s, string conversationId, long afterSeq, string? requestId, bool sendHistory)
    {
        // Frames of different conversations run in their own lanes (FrameLanes), so two may get here at once.
        var current = Volatile.Read(ref follower);
        if (current is null)
        {
            lock (lanes)
            {
                current = follower ??= new ConversationFollower(this, services.Grains, services.Conversations, services.Pressure, services.Time, services.Logger,
                    s.TenantId, s.Me, hearsStatusFromInbox: s.IsAgent, services.Options.SendQueueLimit);
            }
        }
        return current.Watch(conversationId, afterSeq, requestId, sendHistory, lifetime.Token);
    }
}
