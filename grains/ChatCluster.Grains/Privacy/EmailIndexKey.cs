using System.Security.Cryptography;
using System.Text;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// Where an email address is filed in a tenant's email index (R5 self-service): <c>e_</c> + base32 of an HMAC-SHA256
/// over the tenant id and the trimmed, lower-cased address, under a secret key. Without the key, a guessed address
/// cannot be checked against the store, and the same address gives unrelated ids in different tenants. The key lives
/// only in the silos (<c>ChatCluster:Privacy:EmailIndexKey</c>); gateways ask <see cref="ChatCluster.Privacy.IEmailIndexGrain"/>.
/// </summary>
public sealed class EmailIndexKey
{
    public const int MinimumKeyBytes = 32;

    private readonly byte[] key;

    public EmailIndexKey(byte[] key, bool ephemeral = false)
    {
        if (key.Length < MinimumKeyBytes) throw new ArgumentException($"An email index key is at least {MinimumKeyBytes} bytes; this one is {key.Length}.", nameof(key));
        this.key = [.. key];
        IsEphemeral = ephemeral;
    }

    /// <summary>True for a random key made for this process only (the in-memory embedded default).</summary>
    public bool IsEphemeral { get; }

    /// <summary>A random key that lives as long as the process: its index dies with the in-memory store it indexes.</summary>
    public static EmailIndexKey Ephemeral() => new(RandomNumberGenerator.GetBytes(MinimumKeyBytes), ephemeral: true);

    public string LocalId(string tenantId, string email)
    {
        var digest = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{tenantId}\n{email.Trim().ToLowerInvariant()}"));
        return "e_" + Base32(digest.AsSpan(0, 25));
    }

    /// <summary>
    /// A keyed pseudonym of <paramref name="value"/> for <paramref name="purpose"/> (e.g. a purged tenant's closure record,
    /// R7): stable for whoever holds the key, unrelated to the value for anyone else.
    /// </summary>
    public string Pseudonym(string purpose, string value) =>
        Base32(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{purpose}\n{value}")).AsSpan(0, 20)).ToLowerInvariant();

    /// <summary>The key of the address's <see cref="ChatCluster.Privacy.ISelfServiceGrain"/>.</summary>
    public string Scoped(string tenantId, string email) => GrainKeys.Scoped(tenantId, LocalId(tenantId, email));

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
