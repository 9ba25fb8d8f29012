using ChatCluster.Tenants;

namespace ChatCluster.Grains.Tenants;

/// <summary>The tenant's login rules (T2). The gateway enforces them at login; the TOTP secrets live in <c>AgentMfaGrain</c>.</summary>
public sealed partial class TenantGrain
{
    public Task<TenantSecurity> GetSecurity()
    {
        EnsureCreated();
        return Task.FromResult(new TenantSecurity(state.State.RequireMfa));
    }

    public async Task<TenantSecurity> SetSecurity(TenantSecurity security)
    {
        EnsureCreated();
        state.State.RequireMfa = security.RequireMfa;
        await state.WriteStateAsync();
        return new TenantSecurity(state.State.RequireMfa);
    }
}
