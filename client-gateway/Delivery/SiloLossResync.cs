using ChatCluster.Gateway.Sockets;
using Orleans.Metadata;

namespace ChatCluster.Gateway.Delivery;

/// <summary>
/// A silo can die behind the same gateways: the gateway count the Orleans client reports does not change (a
/// silo without a gateway port, or the client still connected to every live gateway), yet the events queued on
/// that silo's streams are lost. The cluster manifest lists the live silos (refreshed every
/// <c>FailureDetection.ManifestRefreshPeriod</c>), so when one drops out of it every socket catches up from the log.
/// </summary>
public sealed class SiloLossResync(IClusterManifestProvider manifests, ConnectionRegistry connections, ILogger<SiloLossResync> logger) : BackgroundService
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
                    logger.LogInformation("A silo left the cluster ({Silos} -> {Live}): resynchronising {Count} sockets",
                        known.Count, live.Count, connections.Count);
                    connections.ResyncAll();
                }
                known = live;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
