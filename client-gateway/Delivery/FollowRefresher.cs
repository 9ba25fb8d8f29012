using ChatCluster.Conversations;
using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Gateway.Delivery;

/// <summary>
/// Re-registers this gateway with every conversation it follows every <see cref="GatewayOptions.FollowRefreshInterval"/>,
/// well inside <see cref="ConversationFollowing.Expiry"/> (GPSTracker's hosts re-register with their hub the same way).
/// </summary>
public sealed class FollowRefresher(ConversationHub hub, GatewayOptions options, TimeProvider time, ILogger<FollowRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.FollowRefreshInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await hub.Refresh(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Refreshing this gateway's conversation registrations failed; trying again in {Interval}", options.FollowRefreshInterval);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
