using ChatCluster.Gateway.Sockets;

namespace ChatCluster.Gateway.Delivery;

/// <summary>
/// Conversation events travel on in-memory streams: when a silo stops or dies, events queued on it are
/// lost. Acknowledged messages are safe in the conversation log, but a quiet socket would only notice the
/// gap with the conversation's next event. So when the gateway loses a cluster gateway (a silo went away)
/// or its connection recovers, every socket re-reads what it follows after its last delivered sequence.
/// </summary>
public sealed class ClusterChangeResync(ConnectionRegistry connections, ILogger<ClusterChangeResync> logger) : IClusterConnectionStatusObserver
{
    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways >= previousNumberOfGateways && !connectionRecovered) return;
        logger.LogInformation("Cluster gateways {Previous} -> {Current}: resynchronising {Count} sockets", previousNumberOfGateways, currentNumberOfGateways, connections.Count);
        connections.ResyncAll();
    }

    public void NotifyClusterConnectionLost() =>
        logger.LogWarning("Lost the connection to the cluster; sockets resynchronise when it recovers");
}
