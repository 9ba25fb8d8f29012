using ChatCluster.Privacy;

namespace ChatCluster.Grains.Visitors;

/// <summary>
/// Keeps the tenant's email index (R5 self-service) in step with this visitor's email: filed under the new address's
/// keyed hash when it is set or rectified, removed from the old one when it changes, is erased or expires.
/// </summary>
public sealed partial class VisitorGrain
{
    public async Task DropTombstone()
    {
        if (state.State.Registered || !state.RecordExists) return;
        await state.ClearStateAsync();
        _ = GrainFactory.GetGrain<IRetentionRegistryGrain>(TenantId).Remove(new RetainedSubject(RetainedKind.VisitorTombstone, VisitorId));
    }

    public async Task<bool> IndexEmail()
    {
        if (!state.State.Registered || state.State.Email is not { Length: > 0 } email) return false;
        await GrainFactory.GetGrain<ISelfServiceGrain>(emailIndex.Scoped(TenantId, email)).Index(VisitorId);
        return true;
    }

    private async Task Reindex(string? before, string? after)
    {
        var same = before is not null && after is not null && string.Equals(before.Trim(), after.Trim(), StringComparison.OrdinalIgnoreCase);
        if (same) return;
        if (before is not null) await GrainFactory.GetGrain<ISelfServiceGrain>(emailIndex.Scoped(TenantId, before)).Unindex(VisitorId);
        if (after is not null) await GrainFactory.GetGrain<ISelfServiceGrain>(emailIndex.Scoped(TenantId, after)).Index(VisitorId);
    }
}
