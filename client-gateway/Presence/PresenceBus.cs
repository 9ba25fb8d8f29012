using System.Collections.Concurrent;

namespace ChatCluster.Gateway.Presence;

/// <summary>Whose presence: a team member, or a visitor.</summary>
public enum PresenceScope
{
    Agent,
    Visitor,
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
