using ChatCluster.Conversations;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Delivery;

/// <summary>Decides when and as what a stream event reaches a feed's local listeners.</summary>
public interface IEventGate<in T> : IDisposable
{
    void Offer(T item);
}

/// <summary>
/// Turns one tenant's inbox snapshots into frames for the agent sockets of this gateway, each frame built once and
/// shared by every socket. A new conversation, a status or assignment change and a close go out at once as a
/// <c>conversation</c> frame. Snapshots that only moved a conversation's <c>lastSeq</c> / <c>lastActivityAt</c> are
/// held for up to one <paramref name="window"/> and go out together as one <c>inbox</c> frame, the latest snapshot of
/// each conversation winning: an agent socket gets at most one such frame per window however many conversations
/// are busy, so the inbox's cost no longer grows with agent sockets × active conversations (issue 13). Snapshots are
/// whole, so skipping intermediate ones loses nothing (docs/protocol.md §10). A zero window sends every snapshot.
/// </summary>
public sealed class InboxGate(Action<ServerFrame> deliver, TimeSpan window, TimeProvider time) : IEventGate<ConversationSummary>
{
    private readonly object gate = new();
    private readonly Dictionary<string, (ConversationStatus Status, string? Agent)> known = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConversationSummary> pending = new(StringComparer.Ordinal);
    private ITimer? timer;

    public void Offer(ConversationSummary summary)
    {
        // Delivering under the lock keeps one conversation's snapshots in order; listeners only queue.
        lock (gate)
        {
            var id = summary.ConversationId;
            var moved = known.TryGetValue(id, out var was) && was.Status == summary.Status && was.Agent == summary.AssignedAgentId;
            if (moved && summary.Status != ConversationStatus.Closed && window > TimeSpan.Zero)
            {
                pending[id] = summary;
                timer ??= time.CreateTimer(_ => Flush(), null, window, Timeout.InfiniteTimeSpan);
                return;
            }
            pending.Remove(id); // this snapshot is newer than the one held back
            if (summary.Status == ConversationStatus.Closed) known.Remove(id);
            else known[id] = (summary.Status, summary.AssignedAgentId);
            deliver(new ConversationEventFrame { Conversation = Dto.From(summary) }.Share());
        }
    }

    private void Flush()
    {
        lock (gate)
        {
            timer?.Dispose();
            timer = null;
            if (pending.Count == 0) return;
            var frame = new InboxFrame { Conversations = [.. pending.Values.Select(Dto.From)] };
            pending.Clear();
            deliver(frame.Share());
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            timer?.Dispose();
            timer = null;
        }
    }
}
