using ChatCluster.Tenants;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// A closed account accepts no message (R3): the conversation refuses sends once its tenant is closed. The tenant
/// tells its live conversations when it closes; besides, each activation asks the tenant before its first send and
/// again every <see cref="StandingLifetime"/>, and a conversation that saw its tenant closed asks on every send, so a
/// reopening is seen at once. An open tenant costs one interleaving grain call per conversation and half minute.
/// </summary>
public sealed partial class ConversationGrain
{
    private static readonly TimeSpan StandingLifetime = TimeSpan.FromSeconds(30);

    private bool tenantClosed;
    private DateTimeOffset? standingAskedAt;

    public Task TenantClosed()
    {
        tenantClosed = true;
        return Task.CompletedTask;
    }

    private async Task EnsureTenantOpen()
    {
        var now = time.GetUtcNow();
        if (!tenantClosed && standingAskedAt is { } asked && now - asked < StandingLifetime && now >= asked) return;
        var standing = await GrainFactory.GetGrain<ITenantGrain>(tenantId).GetStanding();
        tenantClosed = standing == TenantStanding.Closed; // a purged tenant's conversations are gone already
        standingAskedAt = now;
        if (tenantClosed) throw new ChatRuleException(ErrorCodes.TenantClosed, "This chat is no longer available: the site's account is closed.");
    }
}
