using System.Security.Cryptography;
using ChatCluster.Silo.Hosting.Encryption;

namespace ChatCluster.Grains.Tests;

/// <summary>AES-256-GCM sealing of personal data (S1): key ids, rotation, tamper and context checks.</summary>
public sealed class PersonalDataCipherTests
{
    private static readonly byte[] KeyOne = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] KeyTwo = RandomNumberGenerator.GetBytes(32);

    private static PersonalDataCipher Ring(string active, params (string Id, byte[] Key)[] keys) =>
        new(keys.ToDictionary(k => k.Id, k => k.Key), active);

    [Fact]
    public void A_sealed_value_names_its_key_hides_the_text_and_opens_to_the_original()
    {
        var cipher = Ring("k1", ("k1", KeyOne));
        var sealedValue = cipher.SealText("Joanna at joanna@example.com", "ctx");
        Assert.Equal("k1", PersonalDataCipher.KeyIdOf(sealedValue));
        Assert.DoesNotContain("Joanna", System.Text.Encoding.UTF8.GetString(sealedValue));
        Assert.Equal("Joanna at joanna@example.com", cipher.OpenText(sealedValue, "ctx"));
        Assert.NotEqual(sealedValue, cipher.SealText("Joanna at joanna@example.com", "ctx")); // fresh nonce each time
    }

    [Fact]
    public void A_tampered_value_or_one_moved_to_another_place_does_not_open()
    {
        var cipher = Ring("k1", ("k1", KeyOne));
        var sealedValue = cipher.SealText("secret", "conversation_messages.body/t/c/1");
        Assert.ThrowsAny<CryptographicException>(() => cipher.OpenText(sealedValue, "conversation_messages.body/t/c/2"));
        sealedValue[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => cipher.OpenText(sealedValue, "conversation_messages.body/t/c/1"));
    }

    [Fact]
    public void After_rotation_new_values_use_the_new_key_and_old_values_still_open()
    {
        var old = Ring("k1", ("k1", KeyOne)).SealText("old", "ctx");
        var rotated = Ring("k2", ("k1", KeyOne), ("k2", KeyTwo));
        Assert.Equal("old", rotated.OpenText(old, "ctx"));
        Assert.Equal("k2", PersonalDataCipher.KeyIdOf(rotated.SealText("new", "ctx")));
    }

    [Fact]
    public void A_value_sealed_with_a_key_no_longer_in_the_ring_fails_naming_that_key()
    {
        var old = Ring("k1", ("k1", KeyOne)).SealText("old", "ctx");
        var ex = Assert.ThrowsAny<CryptographicException>(() => Ring("k2", ("k2", KeyTwo)).OpenText(old, "ctx"));
        Assert.Contains("'k1'", ex.Message);
    }

    [Fact]
    public void Keys_must_be_32_bytes_and_the_active_key_must_be_in_the_ring()
    {
        Assert.Throws<ArgumentException>(() => Ring("k1", ("k1", new byte[16])));
        Assert.Throws<ArgumentException>(() => Ring("k3", ("k1", KeyOne)));
    }

    [Fact]
    public void Resealing_moves_a_value_to_the_active_key_under_the_same_context()
    {
        var old = Ring("k1", ("k1", KeyOne)).SealText("Joanna", "conversation_messages.body/t/c/1");
        var resealed = Ring("k2", ("k1", KeyOne), ("k2", KeyTwo)).Reseal(old, "conversation_messages.body/t/c/1");
        Assert.Equal("k2", PersonalDataCipher.KeyIdOf(resealed));
        Assert.Equal("Joanna", Ring("k2", ("k2", KeyTwo)).OpenText(resealed, "conversation_messages.body/t/c/1"));
        Assert.ThrowsAny<CryptographicException>(() => Ring("k2", ("k2", KeyTwo)).OpenText(resealed, "conversation_messages.body/t/c/2"));
    }

    [Fact]
    public void The_key_id_is_read_from_the_header_alone_and_a_cut_header_is_not_a_key_id()
    {
        var sealedValue = Ring("k1", ("k1", KeyOne)).SealText("x", "ctx");
        Assert.True(PersonalDataCipher.TryKeyIdOf(sealedValue, out var id));
        Assert.Equal("k1", id);
        Assert.False(PersonalDataCipher.TryKeyIdOf(sealedValue.AsSpan(0, 4), out _));
        Assert.False(PersonalDataCipher.TryKeyIdOf("plain text"u8, out _));
        Assert.ThrowsAny<CryptographicException>(() => PersonalDataCipher.KeyIdOf(sealedValue.AsSpan(0, 4)));
    }
}
