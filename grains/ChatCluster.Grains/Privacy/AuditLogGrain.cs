using ChatCluster.Privacy;
using Orleans.Concurrency;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// One tenant-day of the audit log, as callers address it; the entries live in the <see cref="IAuditStore"/>, one
/// row per entry, so an append costs the same on the millionth entry of a day as on the first and no day has a cap.
/// Appends only: there is no method that edits or deletes an entry. Stateless, so it runs wherever it is called.
/// </summary>
[StatelessWorker]
public sealed class AuditLogGrain(IAuditStore store) : Grain, IAuditLogGrain
{
    private (string TenantId, DateOnly Day) Key
    {
        get
        {
            var key = this.GetPrimaryKeyString();
            var slash = key.LastIndexOf('/');
            return DayKeys.TryParseDay(key[(slash + 1)..], out var day) && slash > 0
                ? (key[..slash], day)
                : throw ChatRuleException.Invalid($"'{key}' is not a tenant-day key.");
        }
    }

    public Task Append(AuditEntry entry) => store.Append(Key.TenantId, entry);

    public Task Purge() => Task.CompletedTask; // account closure deletes the tenant's whole log at once (IAuditStore.PurgeTenant)

    public Task<IReadOnlyList<AuditEntry>> List() => store.List(Key.TenantId, Key.Day);
}
