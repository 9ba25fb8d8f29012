using ChatCluster.Conversations;
using ChatCluster.Inbox;
using ChatCluster.Privacy;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// What a conversation tells the tenant-wide grains, coalesced so that a busy tenant costs them nothing per message
/// (issue 13): the inbox hears of a status or assignment change at once; of messages, the first after a quiet tick
/// goes at once and later ones at most once per <see cref="ReportInterval"/> (the latest summary wins). Message counts
/// reach the day statistics the same way, at most once per <see cref="StatisticsFlushTicks"/> ticks, and in full at a
/// close, an expiry or erasure and at deactivation. A crash loses at most those last seconds of counts (statistics
/// are approximate, docs/privacy.md); the inbox is put right by the conversation's next report.
/// </summary>
public sealed partial class ConversationGrain
{
    /// <summary>With the gateway's own window (<c>ChatCluster:Gateway:InboxActivityInterval</c>) the inbox stays under 1 s stale.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(400);

    /// <summary>Message counts wait at most this many ticks (2 s).</summary>
    public const int StatisticsFlushTicks = 5;

    private readonly MessageCounts counts = new();
    private bool activityHeld;       // the inbox heard of a message within the current tick: later ones wait
    private bool activityUnreported; // ... and some did wait
    private bool countsHeld;
    private int ticksSinceCountsFlushed;
    private IGrainTimer? reportTimer;

    /// <summary>On deactivation: what the coalescing held back goes out now.</summary>
    private void FlushReports()
    {
        if (activityUnreported && state.State.Started) ReportToInbox();
        FlushCounts();
    }

    /// <summary>A message moved the summary's lastSeq and activity.</summary>
    private void ReportActivity()
    {
        if (activityHeld)
        {
            activityUnreported = true;
            return;
        }
        ReportToInbox();
        activityHeld = true;
        EnsureReportTimer();
    }

    private void ReportToInbox()
    {
        activityUnreported = false;
        _ = GrainFactory.GetGrain<ITenantInboxGrain>(tenantId).Update(Summary());
    }

    private void CountLater(StatsEventKind kind, DateTimeOffset at)
    {
        counts.Add(kind, at);
        if (countsHeld) return;
        FlushCounts();
        countsHeld = true;
        EnsureReportTimer();
    }

    private void FlushCounts()
    {
        ticksSinceCountsFlushed = 0;
        if (counts.IsEmpty) return;
        foreach (var e in counts.Take())
            _ = GrainFactory.GetGrain<IDailyStatsGrain>(DayKeys.For(tenantId, e.At)).Record(e);
    }

    private void EnsureReportTimer() =>
        reportTimer ??= this.RegisterGrainTimer(ReportTick, ReportInterval, ReportInterval);

    private Task ReportTick()
    {
        if (activityUnreported && state.State.Started) ReportToInbox();
        else activityHeld = false;
        if (countsHeld && ++ticksSinceCountsFlushed >= StatisticsFlushTicks)
        {
            countsHeld = !counts.IsEmpty;
            FlushCounts();
        }
        if (!activityHeld && !countsHeld)
        {
            reportTimer?.Dispose(); // a quiet conversation holds no timer
            reportTimer = null;
        }
        return Task.CompletedTask;
    }
}
