namespace ChatCluster.Gateway.Delivery;

/// <summary>
/// Conversations keep their followers in memory: when a silo stops or dies, the conversations it hosted come back
/// elsewhere without this gateway's registration, and a push already on its way may be lost. Acknowledged messages are
/// safe in the conversation log, but a quiet socket would only notice the gap with the conversation's next event or the
/// next refresh. So when the gateway loses a cluster gateway (a silo went away) or its connection recovers, it registers
/// again with every conversation it follows and every socket re-reads them after its last delivered sequence.
/// </summary>
public sealed class ClusterChangeResync(ConversationHub hub, ILogger<ClusterChangeResync> logger) : IClusterConnectionStatusObserver
{
    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways >= previousNumberOfGateways && !connectionRecovered) return;
        logger.LogInformation("Cluster gateways {Previous} -> {Current}: following {Count} conversations again", previousNumberOfGateways, currentNumberOfGateways, hub.Following);
        _ = Refollow();
    }

    public void NotifyClusterConnectionLost() =>
        logger.LogWarning("Lost the connection to the cluster; sockets resynchronise when it recovers");

    private async Task Refollow()
    {
        try
        {
            await hub.RefollowAll(CancellationToken.None);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Following again after a cluster change failed; the periodic refresh tries again");
        }
    }
}
