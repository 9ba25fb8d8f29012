namespace ChatCluster.Silo.Hosting.Encryption;

/// <summary>
/// Section <c>ChatCluster:Encryption</c> (S1): the key ring for personal data at rest. <c>Keys</c> maps a key id
/// to 32 random bytes in base64 (<c>ChatCluster__Encryption__Keys__2025a=…</c>); <c>ActiveKeyId</c> names the key
/// new data is sealed with. Older keys stay in the ring so data sealed under them can still be read.
/// </summary>
public sealed class EncryptionOptions
{
    public const string Section = "ChatCluster:Encryption";
    public const string KeysKey = Section + ":Keys";
    public const string ActiveKeyIdKey = Section + ":ActiveKeyId";

    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    public string? ActiveKeyId { get; set; }
}
