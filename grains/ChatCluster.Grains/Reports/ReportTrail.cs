using ChatCluster.Privacy;
using ChatCluster.Reports;

namespace ChatCluster.Grains.Reports;

/// <summary>Report inputs that the day's statistics events do not carry, addressed to the day of <c>at</c>.</summary>
public static class ReportTrail
{
    public static Task CountAssigned(this IGrainFactory grains, string tenantId, DateTimeOffset at, string agentId) =>
        grains.GetGrain<IDayReportGrain>(DayKeys.For(tenantId, at)).ConversationAssigned(agentId);

    public static Task CountMissed(this IGrainFactory grains, string tenantId, DateTimeOffset at) =>
        grains.GetGrain<IDayReportGrain>(DayKeys.For(tenantId, at)).ConversationMissed();

    /// <summary>The one line issue 5 needs: <c>_ = GrainFactory.CountRating(tenantId, now, stars);</c></summary>
    public static Task CountRating(this IGrainFactory grains, string tenantId, DateTimeOffset at, int stars) =>
        grains.GetGrain<IDayReportGrain>(DayKeys.For(tenantId, at)).RatingGiven(stars);
}
