using Orleans.Concurrency;

namespace ChatCluster.Tenants;

/// <summary>
/// The cluster's recent account closures and reopenings (R3), so every gateway learns of one within a poll instead of
/// its standings cache's lifetime, and closes the account's open sockets at once. One activation (key
/// <see cref="Key"/>), in memory only: news older than a few minutes, or lost with a silo, leaves the gateways'
/// own per-socket check to notice (docs/privacy.md section 7).
/// </summary>
public interface ITenantClosureBoardGrain : IGrainWithStringKey
{
    public const string Key = "board";

    Task Post(string tenantId, TenantStanding standing);

    /// <summary>
    /// News after <paramref name="after"/> of the board generation <paramref name="epoch"/>; all news kept when the
    /// generation differs (the board was reactivated, or this is the first poll).
    /// </summary>
    [AlwaysInterleave]
    Task<ClosureNews> Since(Guid epoch, long after);
}

[GenerateSerializer, Immutable]
public sealed record ClosureNews(Guid Epoch, long Last, IReadOnlyList<StandingChange> Changes);

[GenerateSerializer, Immutable]
public sealed record StandingChange(long Seq, string TenantId, TenantStanding Standing, DateTimeOffset At);
