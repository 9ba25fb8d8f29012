using Orleans.Metadata;

namespace ChatCluster.Gateway.Delivery;

/// <summary>
/// A silo can die behind the same gateways: the gateway count the Orleans client reports does not change (a
/// silo without a gateway port, or the client still connected to every live gateway), yet the conversations that silo hosted come back elsewhere without this
/// gateway's registration, and pushes in flight are lost. The cluster manifest lists the live silos (refreshed every
/// <c>FailureDetection.ManifestRefreshPeriod</c>), so when one drops out of it the gateway registers again everywhere and every follower catches up from the log.
/// </summary>
public sealed class SiloLossResync(IClusterManifestProvider manifests, ConversationHub hub, ILogger<SiloLossResync> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        HashSet<SiloAddress>? known = null;
        try
        {
            await foreach (var manifest in manifests.Updates.WithCancellation(stoppingToken))
            {
                var live = manifest.Silos.Keys.ToHashSet();
                if (known is not null && known.Any(silo => !live.Contains(silo)))
                {
                    logger.LogInformation("A silo left the cluster ({Silos} -> {Live}): following {Count} conversations again",
                        known.Count, live.Count, hub.Following);
                    try
                    {
                        await hub.RefollowAll(stoppingToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        logger.LogWarning(ex, "Following again after a silo left failed; the followers retry by themselves");
                    }
                }
                known = live;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
