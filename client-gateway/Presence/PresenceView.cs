namespace ChatCluster.Gateway.Presence;

/// <summary>
/// One tenant's presence as this gateway knows it: what each gateway reports, merged per subject
/// (online anywhere beats away beats offline), with local watchers told about every change of the
/// merged status. Used by <see cref="RedisPresenceBus"/>, where a subject may be connected to
/// several gateways at once. While the view is incomplete (this gateway cannot hear the others), what they
/// reported may be stale: a subject online on this gateway is still online, every other one is unknown.
/// </summary>
internal sealed class PresenceView(string tenantId, string localGateway, bool complete)
{
    private readonly object gate = new();
    private readonly Dictionary<string, Dictionary<(PresenceScope, string), PresenceEntry>> byGateway = new(StringComparer.Ordinal);
    private readonly LocalPresenceBus.TenantPresence merged = new();

    public bool IsComplete
    {
        get { lock (gate) return complete; }
    }

    /// <summary>
    /// Marks the view complete (after a full re-read of the other gateways) or not (the fanout is down); every
    /// subject's merged status is recomputed and visitors are told the team's status may have changed.
    /// </summary>
    public void SetComplete(bool value)
    {
        lock (gate)
        {
            if (complete == value) return;
            complete = value;
            Publish([.. merged.Snapshot().Select(e => (e.Scope, e.SubjectId)).Union(byGateway.Values.SelectMany(g => g.Keys))]);
            merged.Notify(new PresenceEntry(tenantId, PresenceScope.Team, "", null, value ? PresenceStatus.Offline : PresenceStatus.Unknown));
        }
    }

    public IReadOnlyCollection<PresenceEntry> Snapshot() => merged.Snapshot();

    public IDisposable Watch(Action<PresenceEntry> onChange) => merged.Watch(onChange);

    /// <summary>What <paramref name="gatewayId"/> reports now, offline entries excluded.</summary>
    public List<PresenceEntry> ReportedBy(string gatewayId)
    {
        lock (gate) return byGateway.TryGetValue(gatewayId, out var entries) ? [.. entries.Values] : [];
    }

    public IReadOnlyCollection<string> Gateways()
    {
        lock (gate) return [.. byGateway.Keys];
    }

    /// <summary>One subject's change as reported by one gateway.</summary>
    public void Set(string gatewayId, PresenceEntry entry)
    {
        lock (gate)
        {
            if (!byGateway.TryGetValue(gatewayId, out var entries)) byGateway[gatewayId] = entries = [];
            var key = (entry.Scope, entry.SubjectId);
            if (entry.Status == PresenceStatus.Offline) entries.Remove(key);
            else entries[key] = entry;
            if (entries.Count == 0) byGateway.Remove(gatewayId);
            Publish([key]);
        }
    }

    /// <summary>Everything <paramref name="gatewayId"/> reports, replacing what it reported before (a full sync).</summary>
    public void Replace(string gatewayId, IEnumerable<PresenceEntry> reported)
    {
        lock (gate)
        {
            var before = byGateway.TryGetValue(gatewayId, out var old) ? old.Keys.ToList() : [];
            var entries = reported.Where(e => e.Status != PresenceStatus.Offline).ToDictionary(e => (e.Scope, e.SubjectId));
            if (entries.Count == 0) byGateway.Remove(gatewayId);
            else byGateway[gatewayId] = entries;
            Publish([.. before.Union(entries.Keys)]);
        }
    }

    private void Publish(IEnumerable<(PresenceScope Scope, string Subject)> subjects)
    {
        var current = merged.Snapshot().ToDictionary(e => (e.Scope, e.SubjectId));
        foreach (var subject in subjects)
        {
            var next = Merge(subject);
            var was = current.GetValueOrDefault(subject);
            if (was?.Status == next.Status && was?.DisplayName == next.DisplayName) continue;
            if (was is null && next.Status == PresenceStatus.Offline) continue;
            merged.Apply(next.Status == PresenceStatus.Offline ? next with { DisplayName = was?.DisplayName } : next);
        }
    }

    private PresenceEntry Merge((PresenceScope Scope, string Subject) subject)
    {
        PresenceEntry? best = null;
        foreach (var entries in byGateway.Values)
        {
            if (!entries.TryGetValue(subject, out var entry)) continue;
            if (best is null || Rank(entry.Status) > Rank(best.Status)) best = entry with { DisplayName = entry.DisplayName ?? best?.DisplayName };
        }
        best ??= new PresenceEntry(tenantId, subject.Scope, subject.Subject, null, PresenceStatus.Offline);
        if (complete) return best;
        // Only this gateway's own report is fresh: online here is certain, anything else may be stale.
        var here = byGateway.GetValueOrDefault(localGateway)?.GetValueOrDefault(subject);
        return here?.Status == PresenceStatus.Online ? here : best with { Status = PresenceStatus.Unknown };
    }

    private static int Rank(PresenceStatus status) => status switch
    {
        PresenceStatus.Online => 2,
        PresenceStatus.Away => 1,
        _ => 0,
    };
}
