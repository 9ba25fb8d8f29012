namespace ChatCluster.Privacy;

/// <summary>
/// Self-service rights (R5) for one email address of one tenant, keyed by <see cref="IEmailIndexGrain.Locate"/>: the
/// tenant id and a keyed hash of the lower-cased address, never the address itself. It is the tenant's email index (which
/// visitors gave this address) and holds the one-time code and the short-lived token that prove control of the address.
/// </summary>
public interface ISelfServiceGrain : IGrainWithStringKey
{
    /// <summary>Called by a visitor grain whenever its email is set, rectified, erased or expires.</summary>
    Task Index(string visitorId);

    Task Unindex(string visitorId);

    /// <summary>
    /// Counts the request against the rate limit (<c>rate_limited</c>), and if any visitor of the tenant gave this
    /// address, mails it a fresh six-digit code. Says nothing about whether the address is known.
    /// </summary>
    Task RequestCode(string email);

    /// <summary>Checks the code (<c>invalid_code</c> for a wrong, used or expired one alike) and issues a self-service token secret.</summary>
    Task<SelfServiceToken> Confirm(string code);

    /// <summary>The visitors the token's holder may act for; <c>invalid_token</c> for a wrong or expired token.</summary>
    Task<IReadOnlyList<string>> Authorize(string tokenSecret);

    /// <summary>
    /// Deletes the record, its reminder and any mailed code at once, unless it still lists one of <paramref name="heldVisitors"/>
    /// (a legal hold keeps the visitor, and the way to them by email, R4); only account closure (R3) calls it.
    /// </summary>
    Task Purge(IReadOnlyList<string> heldVisitors);
}

[GenerateSerializer, Immutable]
public sealed record SelfServiceToken([property: Id(0)] string Secret, [property: Id(1)] DateTimeOffset ExpiresAt);

/// <summary>
/// A tenant's way from an email address to its <see cref="ISelfServiceGrain"/> (keyed by tenant id). The address is
/// hashed with a secret key that only silos hold, so a gateway asks here instead of hashing itself.
/// </summary>
public interface IEmailIndexGrain : IGrainWithStringKey
{
    /// <summary>The <see cref="ISelfServiceGrain"/> key of <paramref name="email"/> in this tenant; <c>invalid_request</c> for a non-address.</summary>
    Task<string> Locate(string email);
}
