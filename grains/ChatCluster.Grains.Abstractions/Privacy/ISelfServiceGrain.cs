using System.Security.Cryptography;
using System.Text;

namespace ChatCluster.Privacy;

/// <summary>
/// Self-service rights (R5) for one email address of one tenant, keyed by <see cref="EmailKeys.Scoped"/>: the tenant
/// id and a salted hash of the lower-cased address, never the address itself. It is the tenant's email index (which
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

    /// <summary>Checks the code (<c>invalid_code</c>, <c>code_expired</c>) and issues a self-service token secret.</summary>
    Task<SelfServiceToken> Confirm(string code);

    /// <summary>The visitors the token's holder may act for; <c>invalid_token</c> for a wrong or expired token.</summary>
    Task<IReadOnlyList<string>> Authorize(string tokenSecret);
}

[GenerateSerializer, Immutable]
public sealed record SelfServiceToken([property: Id(0)] string Secret, [property: Id(1)] DateTimeOffset ExpiresAt);

/// <summary>Where an email address is filed: a salted SHA-256 of the lower-cased, trimmed address, as a local id.</summary>
public static class EmailKeys
{
    /// <summary>
    /// Fixed salt, combined with the tenant id, so the same address gives unrelated keys in different tenants and a
    /// precomputed table of plain SHA-256 email hashes does not apply.
    /// </summary>
    private const string Salt = "chatcluster/self-service/email-index/v1";

    public static string LocalId(string tenantId, string email)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{Salt}\n{tenantId}\n{email.Trim().ToLowerInvariant()}"));
        return "e_" + Base32(digest.AsSpan(0, 25));
    }

    public static string Scoped(string tenantId, string email) => GrainKeys.Scoped(tenantId, LocalId(tenantId, email));

    private static string Base32(ReadOnlySpan<byte> bytes)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var text = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) text.Append(alphabet[(buffer << (5 - bits)) & 31]);
        return text.ToString();
    }
}
