using ChatCluster.Tenants;

namespace ChatCluster.Grains.Tenants;

/// <summary>
/// The tenant's login rules (T2), enforced by the gateway at login (the TOTP secrets live in <c>AgentMfaGrain</c>), and
/// its transcript rule (issue 15), enforced by the conversations.
/// </summary>
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

    public Task<TranscriptSettings> GetTranscriptSettings() =>
        Task.FromResult(new TranscriptSettings(state.State.Created && state.State.ConfirmTranscriptEmail));

    public async Task<TranscriptSettings> SetTranscriptSettings(TranscriptSettings settings)
    {
        EnsureCreated();
        state.State.ConfirmTranscriptEmail = settings.ConfirmEmail;
        await state.WriteStateAsync();
        return new TranscriptSettings(state.State.ConfirmTranscriptEmail);
    }
}
