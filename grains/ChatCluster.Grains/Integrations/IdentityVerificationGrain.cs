using ChatCluster.Grains.Privacy;
using ChatCluster.Integrations;
using ChatCluster.Privacy;

namespace ChatCluster.Grains.Integrations;

public sealed class IdentityVerificationGrain(
    [PersistentState("identity", StorageNames.Chat)] IPersistentState<IdentityVerificationState> state,
    TimeProvider time) : Grain, IIdentityVerificationGrain
{
    private string TenantId => this.GetPrimaryKeyString();

    public async Task<IdentitySecret> Rotate(string actor)
    {
        var now = time.GetUtcNow();
        if (state.State.Secret is { } current)
        {
            state.State.PreviousSecret = current;
            state.State.PreviousValidUntil = now + IdentityVerification.RotationGrace;
        }
        state.State.Secret = "idsec_" + Ids.Random(24);
        state.State.RotatedAt = now;
        await state.WriteStateAsync();
        await GrainFactory.Record(TenantId, new AuditEntry(now, actor, AuditAction.IdentitySettingsChanged, AuditEntry.TenantSubject, "secret rotated"));
        return new IdentitySecret(state.State.Secret, Settings());
    }

    public Task<IdentitySettings> GetSettings() => Task.FromResult(Settings());

    public async Task<IdentitySettings> SetRequired(bool required, string actor)
    {
        if (required && state.State.Secret is null) throw ChatRuleException.Invalid("Make an identity secret first (POST /api/settings/identity/rotate); without one no visitor could be verified.");
        state.State.Required = required;
        await state.WriteStateAsync();
        await GrainFactory.Record(TenantId, new AuditEntry(time.GetUtcNow(), actor, AuditAction.IdentitySettingsChanged, AuditEntry.TenantSubject, $"required {required}"));
        return Settings();
    }

    public Task<IdentityCheck> Verify(string userId, string signature)
    {
        if (state.State.Secret is not { } secret) return Task.FromResult(IdentityCheck.NotConfigured);
        var ok = IdentityVerification.Matches(secret, userId, signature)
                 || (state.State.PreviousSecret is { } previous && state.State.PreviousValidUntil > time.GetUtcNow() && IdentityVerification.Matches(previous, userId, signature));
        return Task.FromResult(ok ? IdentityCheck.Verified : IdentityCheck.Invalid);
    }

    public async Task Purge()
    {
        if (state.RecordExists) await state.ClearStateAsync();
        DeactivateOnIdle();
    }

    private IdentitySettings Settings() => new(state.State.Secret is not null, state.State.Required, state.State.RotatedAt,
        state.State.PreviousValidUntil > time.GetUtcNow() ? state.State.PreviousValidUntil : null);
}

[GenerateSerializer]
public sealed class IdentityVerificationState
{
    [Id(0)] public string? Secret { get; set; }
    [Id(1)] public string? PreviousSecret { get; set; }
    [Id(2)] public DateTimeOffset? PreviousValidUntil { get; set; }
    [Id(3)] public bool Required { get; set; }
    [Id(4)] public DateTimeOffset? RotatedAt { get; set; }
}

/// <summary>
/// Holds only the visitor id: the key is a hash of the site's user id, the user id itself is not stored. Listed in the
/// tenant's retention registry when written, so account closure finds and deletes it (R3).
/// </summary>
public sealed class VerifiedUserGrain([PersistentState("verified-user", StorageNames.Chat)] IPersistentState<VerifiedUserState> state) : Grain, IVerifiedUserGrain
{
    private (string TenantId, string LocalId) Key => GrainKeys.Split(this.GetPrimaryKeyString());

    public Task<string?> GetVisitorId() => Task.FromResult(state.State.VisitorId);

    public async Task SetVisitorId(string visitorId)
    {
        // Listed before the row exists, so no record of the tenant can be written that the purge does not reach.
        await Registry.Add(new RetainedSubject(RetainedKind.VerifiedUser, Key.LocalId));
        state.State.VisitorId = visitorId;
        await state.WriteStateAsync();
    }

    public async Task Purge(IReadOnlyList<string> heldVisitors)
    {
        if (state.State.VisitorId is { } visitorId && heldVisitors.Contains(visitorId)) return;
        if (state.RecordExists) await state.ClearStateAsync();
        await Registry.Remove(new RetainedSubject(RetainedKind.VerifiedUser, Key.LocalId));
        DeactivateOnIdle();
    }

    private IRetentionRegistryGrain Registry => GrainFactory.GetGrain<IRetentionRegistryGrain>(Key.TenantId);
}

[GenerateSerializer]
public sealed class VerifiedUserState
{
    [Id(0)] public string? VisitorId { get; set; }
}
