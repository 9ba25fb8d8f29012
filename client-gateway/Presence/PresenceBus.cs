using System.Collections.Concurrent;

namespace ChatCluster.Gateway.Presence;

/// <summary>Whose presence: a team member, or a visitor.</summary>
public enum PresenceScope
{
    Agent,
    Visitor,

    /// <summary>The whole team, in a notice that every status of the tenant may have changed (the fanout went down or came back).</summary>
    Team,
}

/// <summary>One subject's presence within a tenant.</summary>
public sealed record PresenceEntry(string TenantId, PresenceScope Scope, string SubjectId, string? DisplayName, PresenceStatus Status);

/// <summary>
/// Carries presence between gateways (C4), scoped per tenant. The embedded default uses
/// <see cref="LocalPresenceBus"/>; cluster mode fans out through Redis.
/// </summary>
public interface IPresenceBus
{
    Task Publish(PresenceEntry entry);

    /// <summary>
    /// False while this gateway cannot hear the other gateways (Redis is down): what they reported may be stale, so
    /// subjects not online here are <see cref="PresenceStatus.Unknown"/>. Always true for one gateway alone.
    /// </summary>
    bool IsComplete(string tenantId);

    /// <summary>Every subject of the tenant currently not offline, as this gateway knows it.</summary>
    IReadOnlyCollection<PresenceEntry> Snapshot(string tenantId);

    /// <summary>Calls <paramref name="onChange"/> for each change in the tenant until disposed; must not block.</summary>
    IDisposable Watch(string tenantId, Action<PresenceEntry> onChange);
}

/// <summary>In-process presence: one gateway, no Redis.</summary>
public sealed class LocalPresenceBus : IPresenceBus
{
    private readonly ConcurrentDictionary<string, TenantPresence> tenants = new(StringComparer.Ordinal);

    public Task Publish(PresenceEntry entry)
    {
        Tenant(entry.TenantId).Apply(entry);
        return Task.CompletedTask;
    }

    public IReadOnlyCollection<PresenceEntry> Snapshot(string tenantId) =>
        tenants.TryGetValue(tenantId, out var t) ? t.Snapshot() : [];

    public IDisposable Watch(string tenantId, Action<PresenceEntry> onChange) => Tenant(tenantId).Watch(onChange);

    public bool IsComplete(string tenantId) => true;

    private TenantPresence Tenant(string tenantId) => tenants.GetOrAdd(tenantId, _ => new TenantPresence());

    /// <summary>The presence of one tenant's subjects and the local watchers of that tenant.</summary>
    public sealed class TenantPresence
    {
        private readonly ConcurrentDictionary<(PresenceScope, string), PresenceEntry> entries = new();
        private readonly object gate = new();
        private Action<PresenceEntry>[] watchers = [];

        public void Apply(PresenceEntry entry)
        {
            if (entry.Status == PresenceStatus.Offline) entries.TryRemove((entry.Scope, entry.SubjectId), out _);
            else entries[(entry.Scope, entry.SubjectId)] = entry;
            foreach (var watcher in watchers) watcher(entry);
        }

        public IReadOnlyCollection<PresenceEntry> Snapshot() => [.. entries.Values];

        /// <summary>Tells the watchers without storing anything (a <see cref="PresenceScope.Team"/> notice).</summary>
        public void Notify(PresenceEntry notice)
        {
            foreach (var watcher in watchers) watcher(notice);
        }

        public IDisposable Watch(Action<PresenceEntry> onChange)
        {
            lock (gate) watchers = [.. watchers, onChange];
            return new Unwatch(this, onChange);
        }

        private void Remove(Action<PresenceEntry> onChange)
        {
            lock (gate) watchers = [.. watchers.Where(w => w != onChange)];
        }

        private sealed class Unwatch(TenantPresence owner, Action<PresenceEntry> onChange) : IDisposable
        {
            public void Dispose() => owner.Remove(onChange);
        }
    }
}
