using ChatCluster.Tenants;

namespace ChatCluster.Grains.Tenants;

public sealed class SiteKeyGrain(
    [PersistentState("sitekey", StorageNames.Chat)] IPersistentState<SiteKeyState> state) : Grain, ISiteKeyGrain
{
    public Task<string?> GetTenantId() => Task.FromResult(state.State.TenantId);

    public async Task Bind(string tenantId)
    {
        if (state.State.TenantId is { } bound && bound != tenantId)
            throw ChatRuleException.Conflict("That site key belongs to another tenant.");
        state.State.TenantId = tenantId;
        await state.WriteStateAsync();
    }

    public Task Unbind() => state.ClearStateAsync();
}

[GenerateSerializer]
public sealed class SiteKeyState
{
    [Id(0)] public string? TenantId { get; set; }
}
