using ChatCluster.Insights;

namespace ChatCluster.Grains.Insights;

public sealed class TenantAiSettingsGrain(
    [PersistentState("ai", StorageNames.Chat)] IPersistentState<TenantAiSettingsState> state) : Grain, ITenantAiSettingsGrain
{
    public Task<AiSettings> Get() => Task.FromResult(state.State.Settings ?? AiSettings.Default);

    public async Task<AiSettings> Set(AiSettings settings)
    {
        state.State.Settings = settings;
        await state.WriteStateAsync();
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
