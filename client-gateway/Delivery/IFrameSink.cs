using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Delivery;

/// <summary>What a conversation follower needs of its socket: queue a frame, or give up on a reader that is too slow.</summary>
public interface IFrameSink
{
    /// <summary>Queues a frame for the socket's writer; never blocks.</summary>
    void Send(ServerFrame frame);

    /// <summary>Sends <paramref name="last"/> (if any) and closes the socket with <paramref name="code"/>.</summary>
    void RequestClose(int code, string reason, ServerFrame? last = null);
}
