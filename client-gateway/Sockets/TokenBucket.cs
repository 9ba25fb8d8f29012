namespace ChatCluster.Gateway.Sockets;

/// <summary>Per-connection frame rate limit: <c>rate</c> frames per second sustained, <c>burst</c> at once.</summary>
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
}
