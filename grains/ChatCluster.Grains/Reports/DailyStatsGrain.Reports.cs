using ChatCluster.Grains.Reports;
using ChatCluster.Privacy;
using ChatCluster.Reports;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// Reports (A1) projected from the same events as the day's statistics, as they happen: per-hour volume,
/// duration histograms, ratings, conversations per agent and missed conversations. Extends the statistics
/// grain rather than adding a second one, so one event costs one message and one write.
/// </summary>
public sealed partial class DailyStatsGrain : IDayReportGrain
{
    /// <summary>Most distinct agents counted per day; more is a runaway caller, not a team.</summary>
    public const int MaxAgentsPerDay = 10_000;

    private DayReportCounters Report => state.State.Report ??= new DayReportCounters();

    public async Task ConversationAssigned(string agentId)
    {
        if (string.IsNullOrEmpty(agentId) || agentId.Length > 64 || !await Admitted()) return;
        var byAgent = Report.ConversationsByAgent;
        if (!byAgent.ContainsKey(agentId) && byAgent.Count >= MaxAgentsPerDay) return;
        byAgent[agentId] = byAgent.GetValueOrDefault(agentId) + 1;
        dirty = true;
    }

    public async Task ConversationMissed()
    {
        if (!await Admitted()) return;
        Report.Missed++;
        dirty = true;
    }

    /// <summary>A rating, counted exactly as the conversation's own <see cref="StatsEventKind.Rated"/> event.</summary>
    public Task RatingGiven(int stars) => Record(new StatsEvent(StatsEventKind.Rated) { Score = stars });

    public Task<DayReport> GetReport()
    {
        var s = state.State;
        var r = Report;
        var day = GrainKeys.Split(this.GetPrimaryKeyString()).LocalId;
        return Task.FromResult(new DayReport(day, s.ConversationsStarted, s.VisitorMessages, s.AgentMessages, r.Missed, s.Resolved,
            s.Expired, s.Erased, [.. r.ConversationsByHour], [.. r.MessagesByHour], [.. r.FirstResponseHistogram], [.. r.ResolutionHistogram],
            [.. r.Ratings], new Dictionary<string, long>(r.ConversationsByAgent))
        {
            ConversationsByCountry = new Dictionary<string, long>(s.ConversationsByCountry),
        });
    }

    /// <summary>Adds a statistics event to the report counters; called by <see cref="Record"/>.</summary>
    private void Project(StatsEvent e)
    {
        var r = Report;
        var hour = e.At == default ? -1 : e.At.UtcDateTime.Hour;
        switch (e.Kind)
        {
            case StatsEventKind.ConversationStarted when hour >= 0: r.ConversationsByHour[hour]++; break;
            case StatsEventKind.VisitorMessage or StatsEventKind.AgentMessage when hour >= 0: r.MessagesByHour[hour] += Math.Max(1, e.Count); break;
            case StatsEventKind.FirstResponse: DayReportCounters.Add(r.FirstResponseHistogram, e.Duration); break;
            case StatsEventKind.Resolved: DayReportCounters.Add(r.ResolutionHistogram, e.Duration); break;
            case StatsEventKind.Rated when e.Score is >= 1 and <= 5: r.Ratings[e.Score - 1]++; break;
        }
    }
}
