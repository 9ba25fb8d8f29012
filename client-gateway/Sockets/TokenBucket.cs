namespace ChatCluster.Gateway.Sockets;

/// <summary>
/// A rate limit on the injected clock: <c>rate</c> tokens per second sustained, <c>burst</c> at once. Used per
/// connection for frames and per client address for logins; not thread-safe (shared ones are locked by their user).
/// </summary>
public sealed class TokenBucket(double rate, int burst, TimeProvider time)
{
    private double tokens = burst;
    private long last = time.GetTimestamp();

    /// <summary>Takes one token; false (with the wait until the next one) when the bucket is empty.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        var now = time.GetTimestamp();
        tokens = Math.Min(burst, tokens + time.GetElapsedTime(last, now).TotalSeconds * rate);
        last = now;
        if (tokens >= 1)
        {
            tokens -= 1;
            retryAfter = TimeSpan.Zero;
            return true;
        }
        retryAfter = TimeSpan.FromSeconds((1 - tokens) / rate);
        return false;
    }

    /// <summary>Whether the bucket has refilled completely: forgetting it would change no answer.</summary>
    public bool IsFull => tokens + time.GetElapsedTime(last).TotalSeconds * rate >= burst;
}
