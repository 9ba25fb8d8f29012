using System.Collections.Concurrent;
using System.Diagnostics;
using ChatCluster.LoadTests.Gateway;

namespace ChatCluster.LoadTests.Drill;

/// <summary>One message a drill pair sent: when, and when (if ever) its ack came.</summary>
public sealed class DrillMessage(string clientMessageId, bool fromVisitor, long sentAt)
{
    public string ClientMessageId { get; } = clientMessageId;
    public bool FromVisitor { get; } = fromVisitor;
    public long SentAt { get; } = sentAt;
    public long AckedAt;
    public volatile string? Error;
    public int Attempts;
}

/// <summary>
/// A visitor↔agent pair of the drill, each socket on a different gateway when there are two. Both sockets record
/// every <c>message</c> frame of the conversation they receive (first arrival, and repeats as duplicates), so the
/// drill can check that every acknowledged message reached every open socket of the conversation.
/// </summary>
public sealed class DrillPair(int index, GatewaySocket visitor, GatewaySocket agent, string conversationId) : IAsyncDisposable
{
    public int Index { get; } = index;
    public GatewaySocket Visitor { get; } = visitor;
    public GatewaySocket Agent { get; } = agent;
    public string ConversationId { get; } = conversationId;
    public ConcurrentQueue<DrillMessage> Sent { get; } = new();
    public ConcurrentDictionary<string, long> VisitorReceived { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, long> AgentReceived { get; } = new(StringComparer.Ordinal);
    public int Duplicates;
    public int OutOfOrder;
    private long _visitorLastSeq, _agentLastSeq;

    public void Listen()
    {
        Visitor.OnFrame = f => Record(f, VisitorReceived, ref _visitorLastSeq);
        Agent.OnFrame = f => Record(f, AgentReceived, ref _agentLastSeq);
    }

    private void Record(WireFrame frame, ConcurrentDictionary<string, long> received, ref long lastSeq)
    {
        if (frame.Type != "message" || frame.ClientMessageId is not { } id) return;
        if (frame.ConversationId is { } c && c != ConversationId) return;
        if (!received.TryAdd(id, frame.ReceivedAt)) Interlocked.Increment(ref Duplicates);
        // Receive loops are single-threaded per socket: a plain compare is enough.
        if (frame.Seq > 0)
        {
            if (frame.Seq <= lastSeq) Interlocked.Increment(ref OutOfOrder);
            lastSeq = frame.Seq;
        }
    }

    /// <summary>Receipt at the other party of the first message this pair sent after <paramref name="killedAt"/>.</summary>
    public TimeSpan? RecoveredAfter(long killedAt)
    {
        long? first = null;
        foreach (var m in Sent)
        {
            if (m.SentAt <= killedAt) continue;
            var other = m.FromVisitor ? AgentReceived : VisitorReceived;
            if (other.TryGetValue(m.ClientMessageId, out var at) && (first is null || at < first)) first = at;
        }
        return first is { } t ? Stopwatch.GetElapsedTime(killedAt, t) : null;
    }

    public async ValueTask DisposeAsync()
    {
        await Visitor.DisposeAsync();
        await Agent.DisposeAsync();
    }
}
