using System.Collections.Concurrent;
using ChatCluster.Privacy;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// Where audit entries are kept (R7): append-only, one entry at a time, at a cost that does not grow with the log —
/// no per-day cap, no rewrite of what is there. The audit log grains write and read through it; only account closure
/// (R3) deletes, and then the whole tenant. PostgreSQL in cluster mode (<c>audit_entries</c>), memory in the embedded default.
/// </summary>
public interface IAuditStore
{
    /// <summary>Appends <paramref name="entry"/>; returns once it is durable.</summary>
    Task Append(string tenantId, AuditEntry entry);

    /// <summary>The tenant's entries of one UTC day, oldest first.</summary>
    Task<IReadOnlyList<AuditEntry>> List(string tenantId, DateOnly day);

    /// <summary>Deletes every entry of the tenant (account closure, R3).</summary>
    Task PurgeTenant(string tenantId);
}

/// <summary>The embedded default's audit store: a list per tenant, lost with the process like the rest of its data.</summary>
public sealed class InMemoryAuditStore : IAuditStore
{
    private readonly ConcurrentDictionary<string, List<AuditEntry>> tenants = new(StringComparer.Ordinal);

    public Task Append(string tenantId, AuditEntry entry)
    {
        var log = tenants.GetOrAdd(tenantId, _ => []);
        lock (log) log.Add(entry);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<AuditEntry>> List(string tenantId, DateOnly day)
    {
        if (!tenants.TryGetValue(tenantId, out var log)) return Task.FromResult<IReadOnlyList<AuditEntry>>([]);
        lock (log)
        {
            return Task.FromResult<IReadOnlyList<AuditEntry>>(
                [.. log.Where(e => DateOnly.FromDateTime(e.At.UtcDateTime) == day).OrderBy(e => e.At)]);
        }
    }

    public Task PurgeTenant(string tenantId)
    {
        tenants.TryRemove(tenantId, out _);
        return Task.CompletedTask;
    }
}
