using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Gateway.Delivery;

/// <summary>
/// Bounds the lag between a message's ack and its delivery on this gateway (issue 13 item 7). Every live message a
/// socket takes off its queue reports how long ago the conversation accepted it; while that lag is above
/// <see cref="GatewayOptions.MaxDeliveryLag"/>, new sends through this gateway are refused with the retryable
/// <c>rate_limited</c> error instead of queueing behind the backlog, so delivery latency stays bounded and the
/// backlog drains. The refusal holds for one <see cref="GatewayOptions.MaxDeliveryLag"/> after the last late delivery.
/// Lag is measured against the silo's accept time, so it assumes clocks in step (NTP) to well below the bound.
/// </summary>
public sealed class DeliveryPressure(GatewayOptions options, TimeProvider time)
{
    private static readonly TimeSpan MinimumRetry = TimeSpan.FromMilliseconds(100);

    private long behindUntil;

    /// <summary>A live message reached a socket's delivery <paramref name="lag"/> after it was accepted.</summary>
    public void Observe(TimeSpan lag)
    {
        if (lag <= options.MaxDeliveryLag) return;
        var until = time.GetTimestamp() + (long)(options.MaxDeliveryLag.TotalSeconds * time.TimestampFrequency);
        if (until > Volatile.Read(ref behindUntil)) Volatile.Write(ref behindUntil, until);
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
