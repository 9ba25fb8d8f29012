using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace ChatCluster;

/// <summary>
/// Grain keys carry the tenant (T1): a visitor or conversation key is <c>{tenantId}/{localId}</c>,
/// and the gateway only ever builds keys from the caller's authenticated tenant, so an id guessed
/// from another tenant resolves to an empty grain in the caller's own tenant.
/// </summary>
public static partial class GrainKeys
{
    public const char Separator = '/';

    public static string Scoped(string tenantId, string localId)
    {
        if (!Ids.IsTenantId(tenantId)) throw new ArgumentException($"'{tenantId}' is not a tenant id.", nameof(tenantId));
        if (!Ids.IsLocalId(localId)) throw new ArgumentException($"'{localId}' is not a valid id.", nameof(localId));
        return string.Concat(tenantId, "/", localId);
    }

    public static (string TenantId, string LocalId) Split(string scopedKey)
    {
        var at = scopedKey.IndexOf(Separator);
        if (at <= 0 || at == scopedKey.Length - 1) throw new ArgumentException($"'{scopedKey}' is not a tenant-scoped key.", nameof(scopedKey));
        return (scopedKey[..at], scopedKey[(at + 1)..]);
    }
}

/// <summary>Identifier shapes and generators shared by the gateway and the grains.</summary>
public static partial class Ids
{
    /// <summary>Tenant ids are short slugs chosen by the operator (e.g. <c>acme</c>).</summary>
    public static bool IsTenantId(string? value) => value is not null && TenantPattern().IsMatch(value);

    /// <summary>Local ids (visitors, conversations, agents) are generated; clients echo them back.</summary>
    public static bool IsLocalId(string? value) => value is not null && LocalPattern().IsMatch(value);

    public static string NewVisitorId() => "v_" + Random(15);
    public static string NewConversationId() => "c_" + Random(15);
    public static string NewAgentId() => "a_" + Random(10);
    public static string NewSiteKey() => "site_" + Random(15);

    /// <summary>Base32 (lower-case, no padding) of <paramref name="bytes"/> random bytes.</summary>
    public static string Random(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        RandomNumberGenerator.Fill(buffer);
        return Base32(buffer);
    }

    public static string Base32Of(ReadOnlySpan<byte> data) => Base32(data);

    private static string Base32(ReadOnlySpan<byte> data)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var chars = new char[(data.Length * 8 + 4) / 5];
        int bits = 0, value = 0, at = 0;
        foreach (var b in data)
        {
            value = (value << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[at++] = alphabet[(value >> (bits - 5)) & 31];
                bits -= 5;
            }
        }
        if (bits > 0) chars[at++] = alphabet[(value << (5 - bits)) & 31];
        return new string(chars, 0, at);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,39}$")]
    private static partial Regex TenantPattern();

    [GeneratedRegex("^[a-z]_[a-z2-7]{8,40}$")]
    private static partial Regex LocalPattern();
}
