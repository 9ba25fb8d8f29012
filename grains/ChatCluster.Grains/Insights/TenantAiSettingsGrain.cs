using ChatCluster.Grains.Privacy;
using ChatCluster.Insights;
using ChatCluster.Privacy;

namespace ChatCluster.Grains.Insights;

/// <summary>
/// A tenant's AI settings (A2). Every change is audited (R7) like a retention policy change: who, and which flags
/// went from what to what.
/// </summary>
public sealed class TenantAiSettingsGrain(
    [PersistentState("ai", StorageNames.Chat)] IPersistentState<TenantAiSettingsState> state,
    TimeProvider time) : Grain, ITenantAiSettingsGrain
{
    public Task<AiSettings> Get() => Task.FromResult(state.State.Settings ?? AiSettings.Default);

    public async Task<AiSettings> Set(AiSettings settings, string actor)
    {
        var before = state.State.Settings ?? AiSettings.Default;
        if (settings.ChangesFrom(before) is not { } changes) return before;
        state.State.Settings = settings;
        await state.WriteStateAsync();
        await GrainFactory.Record(this.GetPrimaryKeyString(),
            new AuditEntry(time.GetUtcNow(), actor, AuditAction.AiSettingsChanged, AuditEntry.TenantSubject, changes));
        return settings;
    }

    public async Task Purge()
    {
        if (state.RecordExists) await state.ClearStateAsync();
        DeactivateOnIdle();
    }
}

[GenerateSerializer]
public sealed class TenantAiSettingsState
{
    [Id(0)] public AiSettings? Settings { get; set; }
}
