using ChatCluster.Privacy;
using ChatCluster.Tenants;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// Counters of one tenant-day. Events arrive one-way from conversations; the grain writes its state at most
/// every <see cref="FlushInterval"/> and on deactivation, so a busy tenant costs no write per message. A
/// crash can lose the last seconds of counts: statistics are approximate, personal data never depends on them.
/// </summary>
public sealed partial class DailyStatsGrain(
    [PersistentState("stats", StorageNames.Chat)] IPersistentState<DailyStatsState> state,
    TimeProvider time) : Grain, IDailyStatsGrain
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(10);

    private bool dirty;

    /// <summary>Whether this activation counts events: asked once (<see cref="Admitted"/>), false after a purge.</summary>
    private bool? admitted;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(Flush, FlushInterval, FlushInterval);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Flush();

    public async Task Record(StatsEvent e)
    {
        if (await Admitted()) Count(e);
    }

    private void Count(StatsEvent e)
    {
        var s = state.State;
        switch (e.Kind)
        {
            case StatsEventKind.ConversationStarted: s.ConversationsStarted++; CountCountry(e.Country); break;
            case StatsEventKind.VisitorMessage: s.VisitorMessages += Math.Max(1, e.Count); break;
            case StatsEventKind.AgentMessage: s.AgentMessages += Math.Max(1, e.Count); break;
            case StatsEventKind.FirstResponse: s.FirstResponses++; s.FirstResponseSecondsTotal += Math.Max(0, e.Duration.TotalSeconds); break;
            case StatsEventKind.Resolved: s.Resolved++; s.ResolutionSecondsTotal += Math.Max(0, e.Duration.TotalSeconds); break;
            case StatsEventKind.Expired: s.Expired++; break;
            case StatsEventKind.Erased: s.Erased++; break;
            case StatsEventKind.Rated when e.Score is >= 1 and <= 5: s.Ratings++; s.RatingScoreTotal += e.Score; break;
            default: return;
        }
        Project(e);
        dirty = true;
    }

    public async Task Purge()
    {
        dirty = false;
        admitted = false; // an event still in flight must not bring the day back
        await state.ClearStateAsync();
        DeactivateOnIdle();
    }

    public Task<DailyStats> Get()
    {
        var s = state.State;
        var day = GrainKeys.Split(this.GetPrimaryKeyString()).LocalId;
        return Task.FromResult(new DailyStats(day, s.ConversationsStarted, s.VisitorMessages, s.AgentMessages, s.FirstResponses,
            s.FirstResponseSecondsTotal, s.Resolved, s.ResolutionSecondsTotal, s.Expired, s.Erased)
        {
            Ratings = s.Ratings,
            RatingScoreTotal = s.RatingScoreTotal,
            ConversationsByCountry = new Dictionary<string, long>(s.ConversationsByCountry),
        });
    }

    /// <summary>
    /// R3: after an account's purge, a statistics event still on its way (events are one-way, sent after the fact)
    /// must not recreate a day of the deleted tenant. A day that already has a stored record counts on; a new one
    /// asks the tenant first (one interleaving call per tenant-day activation) and starts only for a tenant that is
    /// open, or closed with its purge still ahead (a reopened account keeps its statistics).
    /// </summary>
    private async ValueTask<bool> Admitted()
    {
        if (admitted is { } known) return known;
        if (state.RecordExists)
        {
            admitted = true;
            return true;
        }
        var tenant = GrainFactory.GetGrain<ITenantGrain>(GrainKeys.Split(this.GetPrimaryKeyString()).TenantId);
        var standing = await tenant.GetStanding();
        var open = standing == TenantStanding.Open
            || (standing == TenantStanding.Closed && await tenant.GetClosure() is { } closure && closure.PurgeAt > time.GetUtcNow());
        admitted ??= open;
        return admitted.Value;
    }

    private void CountCountry(string? country)
    {
        var code = CountryCodes.Normalize(country);
        var byCountry = state.State.ConversationsByCountry;
        if (!byCountry.ContainsKey(code) && byCountry.Count >= CountryCodes.MaxPerDay) code = CountryCodes.Unknown;
        byCountry[code] = byCountry.GetValueOrDefault(code) + 1;
    }

    private async Task Flush()
    {
        if (!dirty) return;
        dirty = false;
        await state.WriteStateAsync();
    }
}

[GenerateSerializer]
public sealed class DailyStatsState
{
    [Id(0)] public long ConversationsStarted { get; set; }
    [Id(1)] public long VisitorMessages { get; set; }
    [Id(2)] public long AgentMessages { get; set; }
    [Id(3)] public long FirstResponses { get; set; }
    [Id(4)] public double FirstResponseSecondsTotal { get; set; }
    [Id(5)] public long Resolved { get; set; }
    [Id(6)] public double ResolutionSecondsTotal { get; set; }
    [Id(7)] public long Expired { get; set; }
    [Id(8)] public long Erased { get; set; }

    /// <summary>Report counters (A1, <c>Reports/</c>); a high id leaves 9–19 to the statistics themselves.</summary>
    [Id(20)] public ChatCluster.Grains.Reports.DayReportCounters? Report { get; set; }
    [Id(21)] public long Ratings { get; set; }
    [Id(22)] public long RatingScoreTotal { get; set; }
    [Id(23)] public Dictionary<string, long> ConversationsByCountry { get; set; } = [];
}
