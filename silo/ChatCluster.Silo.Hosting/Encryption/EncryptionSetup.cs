using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Silo.Hosting.Encryption;

/// <summary>Reads and validates the key ring (S1); a bad ring stops the silo at start with a message naming the key.</summary>
public static class EncryptionSetup
{
    /// <summary>
    /// The configured ring; without one, an ephemeral key when <paramref name="required"/> is false (the in-memory
    /// embedded default), else a start-up error: data that reaches PostgreSQL must be sealed under a key that
    /// survives restarts and is the same on every silo.
    /// </summary>
    public static PersonalDataCipher ReadPersonalDataCipher(this IConfiguration configuration, bool required)
    {
        var options = new EncryptionOptions();
        configuration.GetSection(EncryptionOptions.Section).Bind(options);
        if (options.Keys.Count == 0 && string.IsNullOrWhiteSpace(options.ActiveKeyId))
        {
            if (!required) return PersonalDataCipher.Ephemeral();
            throw Invalid(EncryptionOptions.KeysKey,
                $"{EncryptionOptions.KeysKey} is required when {ChatSiloOptions.Section}:Storage is Postgres: personal data is encrypted " +
                $"before it reaches the database (S1). Give at least one key, e.g. ChatCluster__Encryption__Keys__k1=<base64 of 32 random bytes> " +
                $"(openssl rand -base64 32), and {EncryptionOptions.ActiveKeyIdKey}=k1.");
        }

        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, value) in options.Keys)
        {
            var key = $"{EncryptionOptions.KeysKey}:{id}";
            if (!PersonalDataCipher.IsValidKeyId(id))
                throw Invalid(key, $"{key}: a key id is 1 to 32 characters of A-Z, a-z, 0-9, '.', '_' or '-'.");
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(value ?? "");
            }
            catch (FormatException)
            {
                throw Invalid(key, $"{key} is not base64; expected 32 random bytes in base64 (openssl rand -base64 32).");
            }
            if (bytes.Length != PersonalDataCipher.KeyBytes)
                throw Invalid(key, $"{key} is {bytes.Length} bytes; AES-256 needs exactly {PersonalDataCipher.KeyBytes} (openssl rand -base64 32).");
            keys[id] = bytes;
        }
        if (keys.Count == 0) throw Invalid(EncryptionOptions.KeysKey, $"{EncryptionOptions.KeysKey} is empty; {EncryptionOptions.ActiveKeyIdKey} names a key of it.");

        var active = options.ActiveKeyId;
        if (string.IsNullOrWhiteSpace(active))
        {
            if (keys.Count > 1)
                throw Invalid(EncryptionOptions.ActiveKeyIdKey, $"{EncryptionOptions.ActiveKeyIdKey} is required when the ring has more than one key; it names the key new data is sealed with.");
            active = keys.Keys.Single();
        }
        if (!keys.ContainsKey(active))
            throw Invalid(EncryptionOptions.ActiveKeyIdKey, $"{EncryptionOptions.ActiveKeyIdKey} '{active}' is not a key of {EncryptionOptions.KeysKey} ({string.Join(", ", keys.Keys)}).");
        return new PersonalDataCipher(keys, active);
    }

    private static OptionsValidationException Invalid(string key, string message) =>
        new(key, typeof(EncryptionOptions), [message]);
}
