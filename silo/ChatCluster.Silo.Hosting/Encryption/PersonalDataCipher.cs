using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace ChatCluster.Silo.Hosting.Encryption;

/// <summary>
/// AES-256-GCM for personal data at rest (S1). A sealed value is
/// <c>0xCC 0x01 | key-id length | key id (ASCII) | 12-byte nonce | 16-byte tag | ciphertext</c>: it names the key
/// it was sealed with, so a rotated ring still opens old values. The <c>context</c> (associated data) binds a value
/// to its place — a message body cannot be swapped into another row or column unnoticed.
/// </summary>
public sealed class PersonalDataCipher
{
    public const int KeyBytes = 32;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const byte Magic0 = 0xCC;
    private const byte Format1 = 0x01;

    private readonly IReadOnlyDictionary<string, byte[]> keys;

    public PersonalDataCipher(IReadOnlyDictionary<string, byte[]> keys, string activeKeyId)
    {
        foreach (var (id, key) in keys)
        {
            if (!IsValidKeyId(id)) throw new ArgumentException($"Key id '{id}' is 1 to 32 characters of A-Z, a-z, 0-9, '.', '_' or '-'.", nameof(keys));
            if (key.Length != KeyBytes) throw new ArgumentException($"Key '{id}' is {key.Length} bytes; AES-256 needs {KeyBytes}.", nameof(keys));
        }
        if (!keys.ContainsKey(activeKeyId)) throw new ArgumentException($"The active key '{activeKeyId}' is not in the key ring.", nameof(activeKeyId));
        this.keys = keys;
        ActiveKeyId = activeKeyId;
    }

    public string ActiveKeyId { get; }

    /// <summary>A random key that lives as long as the process: for the in-memory embedded default, whose data dies with it too.</summary>
    public static PersonalDataCipher Ephemeral() =>
        new(new Dictionary<string, byte[]> { ["ephemeral"] = RandomNumberGenerator.GetBytes(KeyBytes) }, "ephemeral");

    public static bool IsValidKeyId(string id) =>
        id.Length is > 0 and <= 32 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    public static bool IsSealed(ReadOnlySpan<byte> value) => value.Length >= 3 && value[0] == Magic0 && value[1] == Format1;

    /// <summary>The id of the key <paramref name="value"/> was sealed with.</summary>
    public static string KeyIdOf(ReadOnlySpan<byte> value)
    {
        if (!IsSealed(value)) throw new CryptographicException("The value is not sealed by ChatCluster.");
        return TryKeyIdOf(value, out var id) ? id : throw new CryptographicException("A sealed value's key id is truncated.");
    }

    /// <summary>
    /// Reads the key id from the header alone, without a key and without decrypting: the re-encryption pass uses it to
    /// count values per key and to skip those already under the active key. False for a value that is not sealed or
    /// whose header is cut short.
    /// </summary>
    public static bool TryKeyIdOf(ReadOnlySpan<byte> value, [NotNullWhen(true)] out string? keyId)
    {
        keyId = null;
        if (!IsSealed(value) || value[2] == 0 || value.Length < 3 + value[2]) return false;
        keyId = Encoding.ASCII.GetString(value.Slice(3, value[2]));
        return true;
    }

    /// <summary>The ids of the keys in the ring, the active one included.</summary>
    public IReadOnlyCollection<string> KeyIds => keys.Keys.ToArray();

    /// <summary>Whether values sealed under <paramref name="keyId"/> can be opened with this ring.</summary>
    public bool HasKey(string keyId) => keys.ContainsKey(keyId);

    /// <summary>
    /// Opens a value sealed under any key of the ring and seals it again under the active key with the same
    /// <paramref name="context"/>, so the value still belongs to the same place. The plaintext lives only for the
    /// length of this call and is wiped before it returns.
    /// </summary>
    public byte[] Reseal(ReadOnlySpan<byte> sealedValue, string context)
    {
        var plaintext = Open(sealedValue, context);
        try
        {
            return Seal(plaintext, context);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string context)
    {
        var id = Encoding.ASCII.GetBytes(ActiveKeyId);
        var header = 3 + id.Length;
        var sealedValue = new byte[header + NonceBytes + TagBytes + plaintext.Length];
        sealedValue[0] = Magic0;
        sealedValue[1] = Format1;
        sealedValue[2] = (byte)id.Length;
        id.CopyTo(sealedValue, 3);
        var nonce = sealedValue.AsSpan(header, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(keys[ActiveKeyId], TagBytes);
        aes.Encrypt(nonce, plaintext, sealedValue.AsSpan(header + NonceBytes + TagBytes), sealedValue.AsSpan(header + NonceBytes, TagBytes),
            Encoding.UTF8.GetBytes(context));
        return sealedValue;
    }

    public byte[] Open(ReadOnlySpan<byte> sealedValue, string context)
    {
        var id = KeyIdOf(sealedValue);
        if (!keys.TryGetValue(id, out var key))
            throw new CryptographicException($"Data is sealed with key '{id}', which is not in {EncryptionOptions.KeysKey}; put the retired key back into the ring.");
        var header = 3 + id.Length;
        if (sealedValue.Length < header + NonceBytes + TagBytes) throw new CryptographicException("A sealed value is truncated.");
        var plaintext = new byte[sealedValue.Length - header - NonceBytes - TagBytes];
        using var aes = new AesGcm(key, TagBytes);
        aes.Decrypt(sealedValue.Slice(header, NonceBytes), sealedValue[(header + NonceBytes + TagBytes)..],
            sealedValue.Slice(header + NonceBytes, TagBytes), plaintext, Encoding.UTF8.GetBytes(context));
        return plaintext;
    }

    public byte[] SealText(string text, string context) => Seal(Encoding.UTF8.GetBytes(text), context);

    public string OpenText(ReadOnlySpan<byte> sealedValue, string context) => Encoding.UTF8.GetString(Open(sealedValue, context));
}
