using ChatCluster.Conversations;
using ChatCluster.Inbox;
using ChatCluster.Privacy;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// What a conversation tells the tenant-wide grains, coalesced so that a busy tenant costs them nothing per message
/// (issue 13): the inbox hears of a status or assignment change at once and of new messages at most once per
/// <see cref="InboxActivityInterval"/> (the latest summary wins); message counts reach the day statistics at most once
/// per <see cref="StatisticsFlushInterval"/>, at a close and at deactivation. A crash loses at most those last
/// seconds of counts (statistics are approximate, docs/privacy.md); the inbox is rebuilt by the next report.
/// </summary>
public sealed partial class ConversationGrain
{
    /// <summary>With the gateway's own window (<c>ChatCluster:Gateway:InboxActivityInterval</c>) the inbox stays under 1 s stale.</summary>
    public static readonly TimeSpan InboxActivityInterval = TimeSpan.FromMilliseconds(400);

    public static readonly TimeSpan StatisticsFlushInterval = TimeSpan.FromSeconds(5);

    private readonly MessageCounts counts = new();
    private bool activityUnreported;
    private long countsSince;
    private IGrainTimer? reportTimer;

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (activityUnreported) ReportToInbox();
        FlushCounts();
        return Task.CompletedTask;
    }

    /// <summary>A message moved the summary's lastSeq and activity: the inbox hears of it with the next tick.</summary>
    private void ReportActivity()
    {
        activityUnreported = true;
        EnsureReportTimer();
    }

    private void ReportToInbox()
    {
        activityUnreported = false;
        _ = GrainFactory.GetGrain<ITenantInboxGrain>(tenantId).Update(Summary());
    }

    private void CountLater(StatsEventKind kind, DateTimeOffset at)
    {
        if (counts.IsEmpty) countsSince = time.GetTimestamp();
        counts.Add(kind, at);
        EnsureReportTimer();
    }

    private void FlushCounts()
    {
        if (counts.IsEmpty) return;
        foreach (var e in counts.Take())
            _ = GrainFactory.GetGrain<IDailyStatsGrain>(DayKeys.For(tenantId, e.At)).Record(e);
    }

    private void EnsureReportTimer() =>
        reportTimer ??= this.RegisterGrainTimer(ReportTick, InboxActivityInterval, InboxActivityInterval);

    private Task ReportTick()
    {
        if (activityUnreported && state.State.Started) ReportToInbox();
        if (!counts.IsEmpty && time.GetElapsedTime(countsSince) >= StatisticsFlushInterval) FlushCounts();
        if (!activityUnreported && counts.IsEmpty)
        {
            reportTimer?.Dispose(); // a quiet conversation holds no timer
            reportTimer = null;
        }
        return Task.CompletedTask;
    }
}
