using ChatCluster.Privacy;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// One tenant-day of audit entries. Appends only: there is no method that edits or deletes an entry.
/// A day per grain keeps each state small; a busy tenant's expiries spread over its days.
/// </summary>
public sealed class AuditLogGrain(
    [PersistentState("audit", StorageNames.Chat)] IPersistentState<AuditLogState> state) : Grain, IAuditLogGrain
{
    public const int MaxEntriesPerDay = 100_000;

    public async Task Append(AuditEntry entry)
    {
        if (state.State.Entries.Count >= MaxEntriesPerDay)
            throw ChatRuleException.Invalid($"The audit log holds at most {MaxEntriesPerDay} entries per tenant and day.");
        state.State.Entries.Add(entry);
        await state.WriteStateAsync();
    }

    public async Task Purge()
    {
        await state.ClearStateAsync();
        DeactivateOnIdle();
    }

    public Task<IReadOnlyList<AuditEntry>> List() => Task.FromResult<IReadOnlyList<AuditEntry>>([.. state.State.Entries]);
}

[GenerateSerializer]
public sealed class AuditLogState
{
    [Id(0)] public List<AuditEntry> Entries { get; set; } = [];
}
