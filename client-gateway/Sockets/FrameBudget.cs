namespace ChatCluster.Gateway.Sockets;

/// <summary>What the budget says about one incoming frame.</summary>
public enum FrameVerdict
{
    /// <summary>Within the rate: handle it.</summary>
    Accepted,

    /// <summary>Over the rate: drop it unread and say <c>rate_limited</c>.</summary>
    Dropped,

    /// <summary>Over the rate for too long: say a last <c>rate_limited</c> and close with 4029.</summary>
    Flood,
}

/// <summary>
/// One connection's frame budget (S2, S3): every frame it sends — data frames and WebSocket ping/pong control
/// frames alike — takes a token of <paramref name="rate"/>/s with bursts of <paramref name="burst"/>. A dropped
/// frame is a strike; <paramref name="strikes"/> strikes close the connection. Strikes are forgiven only once the
/// bucket has refilled completely (the client paused for a whole burst), not by the next accepted frame: a client
/// sending steadily above the rate has some frames accepted all the time and must still be closed.
/// Called by the reader and, for control frames, by the transport under the same receive; locked anyway.
/// </summary>
public sealed class FrameBudget(double rate, int burst, int strikes, TimeProvider time)
{
    private readonly TokenBucket bucket = new(rate, burst, time);
    private readonly object gate = new();
    private int struck;

    /// <summary>How long a dropped frame's sender should wait; valid after <see cref="FrameVerdict.Dropped"/>.</summary>
    public TimeSpan RetryAfter { get; private set; }

    public FrameVerdict Take()
    {
        lock (gate)
        {
            if (struck > 0 && bucket.IsFull) struck = 0;
            if (bucket.TryTake(out var retryAfter)) return FrameVerdict.Accepted;
            RetryAfter = retryAfter;
            return ++struck >= strikes ? FrameVerdict.Flood : FrameVerdict.Dropped;
        }
    }
}
