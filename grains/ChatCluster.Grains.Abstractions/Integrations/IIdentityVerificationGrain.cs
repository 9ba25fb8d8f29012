using System.Security.Cryptography;
using System.Text;
using Orleans.Concurrency;

namespace ChatCluster.Integrations;

/// <summary>
/// A tenant's identity-verification secret and rule (I3). Keyed by tenant id. A site's server signs a logged-in user's
/// id with the secret (HMAC-SHA256, hex); the gateway checks it in the visitor hello. After a rotation the previous
/// secret keeps working for <see cref="IdentityVerification.RotationGrace"/>, so the site can deploy the new one.
/// </summary>
public interface IIdentityVerificationGrain : IGrainWithStringKey
{
    /// <summary>Makes a new secret and returns it (shown once). Audited (R7).</summary>
    Task<IdentitySecret> Rotate(string actor);

    Task<IdentitySettings> GetSettings();

    /// <summary>Whether visitors must bring a verified identity; refused once no secret exists. Audited (R7).</summary>
    Task<IdentitySettings> SetRequired(bool required, string actor);

    [AlwaysInterleave]
    Task<IdentityCheck> Verify(string userId, string signature);

    Task Purge();
}

public enum IdentityCheck
{
    /// <summary>The tenant has no secret: identities cannot be verified.</summary>
    NotConfigured = 0,
    Verified = 1,
    Invalid = 2,
}

[GenerateSerializer, Immutable]
public sealed record IdentitySettings(bool Configured, bool Required, DateTimeOffset? RotatedAt, DateTimeOffset? PreviousSecretValidUntil);

[GenerateSerializer, Immutable]
public sealed record IdentitySecret(string Secret, IdentitySettings Settings);

/// <summary>The one visitor a verified user of a tenant is, on every device (I3). Keyed by <see cref="IdentityVerification.UserKey"/>.</summary>
public interface IVerifiedUserGrain : IGrainWithStringKey
{
    /// <summary>The user's visitor id, or null the first time (or after the visitor was erased or expired).</summary>
    Task<string?> GetVisitorId();

    /// <summary>Points the user to <paramref name="visitorId"/>; the record is listed in the tenant's retention registry (R3).</summary>
    Task SetVisitorId(string visitorId);

    /// <summary>
    /// Deletes the record (account closure, R3) unless it points to one of <paramref name="heldVisitors"/>, whose data a
    /// legal hold keeps (R4); the purge that finishes once the hold is lifted deletes it then.
    /// </summary>
    Task Purge(IReadOnlyList<string> heldVisitors);
}

public static class IdentityVerification
{
    public const int MaxUserIdLength = 200;
    public static readonly TimeSpan RotationGrace = TimeSpan.FromDays(1);

    /// <summary>What a site's server computes: lower-case hex of HMAC-SHA256(secret, userId as UTF-8).</summary>
    public static string Sign(string secret, string userId) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(userId)));

    public static bool Matches(string secret, string userId, string signature)
    {
        if (signature.Length != 64) return false;
        byte[] given;
        try
        {
            given = Convert.FromHexString(signature);
        }
        catch (FormatException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(given, HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(userId)));
    }

    /// <summary>
    /// The grain key of a verified user: a hash of tenant and user id, so the site's own user ids are not stored as keys.
    /// </summary>
    public static string UserKey(string tenantId, string userId) =>
        GrainKeys.Scoped(tenantId, "u_" + Ids.Base32Of(SHA256.HashData(Encoding.UTF8.GetBytes(tenantId + "\n" + userId)))[..32]);
}
