using ChatCluster.Grains.Privacy;
using ChatCluster.Privacy;

namespace ChatCluster.Grains.Tenants;

/// <summary>
/// The tenant's retention policy and tenant-wide hold (R1, R4). A change is pushed through the tenant's
/// <see cref="IRetentionRegistryGrain"/> to every conversation and visitor still holding personal data, in the
/// background; each holder also re-reads these rules on its own next check, so none is missed for long.
/// </summary>
public sealed partial class TenantGrain
{
    public Task<RetentionRules> GetRetentionRules() => Task.FromResult(Rules());

    public async Task<RetentionRules> SetRetentionPolicy(RetentionPolicy policy, string actor)
    {
        EnsureCreated();
        state.State.RetentionPolicy = retention.Value.Validate(policy);
        await state.WriteStateAsync();
        await GrainFactory.Record(TenantId, new AuditEntry(time.GetUtcNow(), actor, AuditAction.RetentionPolicyChanged, AuditEntry.TenantSubject,
            $"period={policy.Period:c} keepRedactedEmail={policy.KeepRedactedEmail}"));
        return await Announce();
    }

    public async Task<RetentionRules> PlaceHold(string reason, string actor)
    {
        EnsureCreated();
        state.State.Hold = new LegalHold(reason, actor, time.GetUtcNow());
        await state.WriteStateAsync();
        return await Announce();
    }

    public async Task<RetentionRules> LiftHold(string actor)
    {
        EnsureCreated();
        if (state.State.Hold is null) return Rules();
        state.State.Hold = null;
        await state.WriteStateAsync();
        return await Announce();
    }

    private async Task<RetentionRules> Announce()
    {
        var rules = Rules();
        await GrainFactory.GetGrain<IRetentionRegistryGrain>(TenantId).ApplyRules(rules);
        return rules;
    }

    private RetentionRules Rules() => new(state.State.RetentionPolicy ?? RetentionPolicy.Default, state.State.Hold);
}
