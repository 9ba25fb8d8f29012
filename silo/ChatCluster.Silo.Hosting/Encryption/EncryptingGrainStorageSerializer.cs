using Orleans.Storage;

namespace ChatCluster.Silo.Hosting.Encryption;

/// <summary>
/// Seals the whole serialized state of every grain in a storage provider (S1): visitor name, email, IP, user
/// agent and page URL, conversation contact, inbox names — nothing in <c>orleans_storage.payload</c> is readable
/// without the key. A payload written before encryption was turned on is still read, and sealed on its next write.
/// </summary>
public sealed class EncryptingGrainStorageSerializer(IGrainStorageSerializer inner, PersonalDataCipher cipher) : IGrainStorageSerializer
{
    /// <summary>Associated data of every sealed state: a payload cannot be moved into a message column.</summary>
    public const string Context = "orleans_storage.payload";

    public BinaryData Serialize<T>(T? input) =>
        BinaryData.FromBytes(cipher.Seal(inner.Serialize(input).ToMemory().Span, Context));

    public T? Deserialize<T>(BinaryData input)
    {
        var bytes = input.ToMemory();
        return PersonalDataCipher.IsSealed(bytes.Span)
            ? inner.Deserialize<T>(BinaryData.FromBytes(cipher.Open(bytes.Span, Context)))
            : inner.Deserialize<T>(input);
    }
}
