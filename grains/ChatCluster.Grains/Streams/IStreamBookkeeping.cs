namespace ChatCluster.Grains.Streams;

/// <summary>
/// Orleans' own records of the tenant's streams (its inbox stream and one stream per conversation): which gateways
/// subscribe and which pulling agent produces. Orleans keeps such a record as long as the pulling agent that
/// produced on the stream lives, and has no public API to drop it, so account closure (R3) deletes the tenant's
/// records through this. They hold ids only (tenant, conversation), no personal data. Optional: in the embedded
/// default nothing outlives the process, and no implementation is registered.
/// </summary>
public interface IStreamBookkeeping
{
    /// <summary>Deletes the stored records of every stream of the tenant; run last in the purge, when no event is in flight.</summary>
    Task PurgeTenant(string tenantId);
}
