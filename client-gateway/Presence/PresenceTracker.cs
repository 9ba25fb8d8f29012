using System.Collections.Concurrent;

namespace ChatCluster.Gateway.Presence;

/// <summary>
/// Presence of the subjects connected to this gateway: a subject is online while it has at least one
/// socket here (an agent may also choose "away"), and offline when its last socket closes.
/// Changes go out on the <see cref="IPresenceBus"/>.
/// </summary>
public sealed class PresenceTracker(IPresenceBus bus)
{
    private readonly ConcurrentDictionary<(string Tenant, PresenceScope Scope, string Subject), Subject> local = new();

    public IPresenceBus Bus => bus;

    public Task Connected(string tenantId, PresenceScope scope, string subjectId, string? displayName)
    {
        var subject = local.GetOrAdd((tenantId, scope, subjectId), _ => new Subject(displayName));
        lock (subject)
        {
            subject.Sockets++;
            if (subject.Sockets > 1) return Task.CompletedTask;
        }
        return bus.Publish(new PresenceEntry(tenantId, scope, subjectId, displayName, subject.Chosen));
    }

    public Task Disconnected(string tenantId, PresenceScope scope, string subjectId)
    {
        if (!local.TryGetValue((tenantId, scope, subjectId), out var subject)) return Task.CompletedTask;
        lock (subject)
        {
            subject.Sockets--;
            if (subject.Sockets > 0) return Task.CompletedTask;
            local.TryRemove((tenantId, scope, subjectId), out _);
        }
        return bus.Publish(new PresenceEntry(tenantId, scope, subjectId, subject.DisplayName, PresenceStatus.Offline));
    }

    /// <summary>An agent chooses online or away; applies to all their sockets on this gateway.</summary>
    public Task Choose(string tenantId, string agentId, PresenceStatus status)
    {
        if (!local.TryGetValue((tenantId, PresenceScope.Agent, agentId), out var subject)) return Task.CompletedTask;
        lock (subject) subject.Chosen = status;
        return bus.Publish(new PresenceEntry(tenantId, PresenceScope.Agent, agentId, subject.DisplayName, status));
    }

    /// <summary>All presence entries published by this gateway, for republishing after the bus reconnects.</summary>
    public IEnumerable<PresenceEntry> LocalEntries() =>
        local.Select(kv => new PresenceEntry(kv.Key.Tenant, kv.Key.Scope, kv.Key.Subject, kv.Value.DisplayName, kv.Value.Chosen));

    /// <summary>
    /// What a visitor sees: the team is online if any agent is online, away if any is away; unknown, unless an agent
    /// is online here, while other gateways cannot be heard (C7: rather unknown than stale).
    /// </summary>
    public PresenceStatus TeamStatus(string tenantId)
    {
        var team = PresenceStatus.Offline;
        foreach (var entry in bus.Snapshot(tenantId))
        {
            if (entry.Scope != PresenceScope.Agent) continue;
            if (entry.Status == PresenceStatus.Online) return PresenceStatus.Online;
            if (entry.Status == PresenceStatus.Away) team = PresenceStatus.Away;
        }
        return bus.IsComplete(tenantId) ? team : PresenceStatus.Unknown;
    }

    private sealed class Subject(string? displayName)
    {
        public string? DisplayName { get; } = displayName;
        public int Sockets { get; set; }
        public PresenceStatus Chosen { get; set; } = PresenceStatus.Online;
    }
}
