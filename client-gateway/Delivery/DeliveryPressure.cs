using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Gateway.Delivery;

/// <summary>
/// Bounds the lag between a message's ack and its delivery on this gateway (issue 13 item 7). Every live message a
/// socket takes off its queue reports how long ago the conversation accepted it. When at least
/// <see cref="LateDeliveriesForBacklog"/> of them within one <see cref="GatewayOptions.MaxDeliveryLag"/> arrived later
/// than that bound, delivery is behind: new sends through this gateway are refused with the retryable
/// <c>rate_limited</c> error for one more bound, instead of queueing behind the backlog, so the delay stays bounded
/// and the backlog drains. A single slow message (a cold activation, a GC pause) is not a backlog and refuses
/// nothing. Lag is measured against the silo's accept time, so it assumes clocks in step (NTP) to well below the bound.
/// </summary>
public sealed class DeliveryPressure(GatewayOptions options, TimeProvider time)
{
    /// <summary>Late deliveries within one bound that make a backlog.</summary>
    public const int LateDeliveriesForBacklog = 16;

    private static readonly TimeSpan MinimumRetry = TimeSpan.FromMilliseconds(100);

    private readonly object gate = new();
    private readonly long bound = (long)(options.MaxDeliveryLag.TotalSeconds * time.TimestampFrequency);
    private long windowStart;
    private int lateInWindow;
    private long behindUntil;

    /// <summary>A live message reached a socket's delivery <paramref name="lag"/> after it was accepted.</summary>
    public void Observe(TimeSpan lag)
    {
        if (lag <= options.MaxDeliveryLag) return;
        var now = time.GetTimestamp();
        lock (gate)
        {
            if (now - windowStart > bound) (windowStart, lateInWindow) = (now, 0);
            if (++lateInWindow >= LateDeliveriesForBacklog) Volatile.Write(ref behindUntil, now + bound);
        }
    }

    /// <summary>Whether delivery is behind; if so, <paramref name="retryAfter"/> says when a sender may try again.</summary>
    public bool IsBehind(out TimeSpan retryAfter)
    {
        var left = Volatile.Read(ref behindUntil) - time.GetTimestamp();
        if (left <= 0)
        {
            retryAfter = TimeSpan.Zero;
            return false;
        }
        var wait = TimeSpan.FromSeconds((double)left / time.TimestampFrequency);
        retryAfter = wait < MinimumRetry ? MinimumRetry : wait;
        return true;
    }

    /// <summary>Refuses a send while delivery is behind (the send is not executed; the client resends it after the wait).</summary>
    public void ThrowIfBehind()
    {
        if (IsBehind(out var retryAfter))
            throw ChatRuleException.RateLimited("Delivery is behind on this gateway; the message was not sent. Resend it after retryAfterMs.", retryAfter);
    }
}
