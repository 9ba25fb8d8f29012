using ChatCluster.Conversations;

namespace ChatCluster.Gateway.Delivery;

/// <summary>Decides when a stream event reaches a feed's local listeners.</summary>
public interface IEventGate<in T> : IDisposable
{
    void Offer(T item);
}

/// <summary>
/// Holds back inbox snapshots that only move a conversation's <c>lastSeq</c> / <c>lastActivityAt</c>: at most
/// one per conversation per <paramref name="window"/> reaches the agents of this gateway, and the newest one
/// always does (at the end of the window). A new conversation, a status or assignment change and a close go
/// out at once. Without it every chat message became one <c>conversation</c> frame on every agent socket of
/// the tenant (50 agents: 50 frames per message); <c>conversation</c> frames are snapshots, so skipping
/// intermediate ones loses nothing (docs/protocol.md §10).
/// </summary>
public sealed class InboxGate(Action<ConversationSummary> deliver, TimeSpan window, TimeProvider time) : IEventGate<ConversationSummary>
{
    private readonly object gate = new();
    private readonly Dictionary<string, Sent> conversations = new(StringComparer.Ordinal);
    private ITimer? timer;

    private sealed class Sent(ConversationSummary summary, long at)
    {
        public ConversationSummary Summary = summary;
        public long At = at;
        public ConversationSummary? Pending;
    }

    public void Offer(ConversationSummary summary)
    {
        // Delivering under the lock keeps one conversation's snapshots in order; listeners only queue.
        lock (gate)
        {
            if (conversations.TryGetValue(summary.ConversationId, out var sent)
                && summary.Status != ConversationStatus.Closed
                && summary.Status == sent.Summary.Status
                && summary.AssignedAgentId == sent.Summary.AssignedAgentId
                && time.GetElapsedTime(sent.At) < window)
            {
                sent.Pending = summary;
                timer ??= time.CreateTimer(_ => Flush(), null, window, window);
                return;
            }
            if (summary.Status == ConversationStatus.Closed) conversations.Remove(summary.ConversationId);
            else conversations[summary.ConversationId] = new Sent(summary, time.GetTimestamp());
            deliver(summary);
        }
    }

    private void Flush()
    {
        lock (gate)
        {
            List<string>? quiet = null;
            foreach (var (id, sent) in conversations)
            {
                if (time.GetElapsedTime(sent.At) < window) continue;
                if (sent.Pending is { } pending)
                {
                    (sent.Summary, sent.At, sent.Pending) = (pending, time.GetTimestamp(), null);
                    deliver(pending);
                }
                else (quiet ??= []).Add(id); // nothing held back for a whole window: the next snapshot goes out at once anyway
            }
            foreach (var id in quiet ?? []) conversations.Remove(id);
            if (conversations.Count == 0)
            {
                timer?.Dispose();
                timer = null;
            }
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
