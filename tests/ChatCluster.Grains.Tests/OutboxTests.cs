using System.Security.Cryptography;
using System.Text;
using ChatCluster.Grains.Mail;
using ChatCluster.Silo.Hosting.Encryption;
using ChatCluster.Silo.Hosting.Mail;
using Microsoft.Extensions.Time.Testing;

namespace ChatCluster.Grains.Tests;

/// <summary>The outbox folder (W5, R6, S1): mail sealed with the key ring, filed by pseudonymous ids, purged by them, never kept past two years.</summary>
public sealed class OutboxTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "outbox-test-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);

    private readonly PersonalDataCipher ring = new(new Dictionary<string, byte[]> { ["k1"] = RandomNumberGenerator.GetBytes(32) }, "k1");

    private OutboxMailSender Outbox() => new(new MailOptions { OutboxPath = folder }, ring, time);

    private static OutgoingMail Mail(string conversationId) =>
        new("acme", conversationId, "jo.quennell@example.com", "Joanna Quennell", "Your chat transcript", "[10:00] You: my code is 493817");

    [Fact]
    public async Task A_mail_is_a_sealed_file_under_tenant_and_subject_that_the_key_ring_opens_and_purging_the_subject_deletes_it()
    {
        var outbox = Outbox();
        await outbox.Send(Mail("c_one"));
        await outbox.Send(Mail("c_two"));
        var file = Directory.EnumerateFiles(Path.Combine(folder, "acme", "c_one")).Single();
        Assert.EndsWith(OutboxMailSender.Extension, file);
        var stored = await File.ReadAllBytesAsync(file);
        Assert.True(PersonalDataCipher.IsSealed(stored));
        Assert.Equal("k1", PersonalDataCipher.KeyIdOf(stored));
        foreach (var personal in new[] { "jo.quennell@example.com", "Joanna Quennell", "Quennell", "my code is 493817", "493817", "Your chat transcript" })
        {
            // S1: neither as UTF-8 nor as UTF-16 (nor quoted-printable, which leaves these strings as they are).
            Assert.True(stored.AsSpan().IndexOf(Encoding.UTF8.GetBytes(personal)) < 0, $"'{personal}' is on disk in the clear");
            Assert.True(stored.AsSpan().IndexOf(Encoding.Unicode.GetBytes(personal)) < 0, $"'{personal}' is on disk in the clear");
        }
        var text = Assert.Single(await outbox.Read("acme", "c_one"));
        Assert.Contains("jo.quennell@example.com", text);
        Assert.Contains("Joanna Quennell", text);
        Assert.Contains("[10:00] You: my code is 493817", text);
        Assert.Equal(text, OutboxMailSender.Open(ring, file, stored));

        // Bound to its place: the same file moved under another subject does not open.
        var moved = Path.Combine(folder, "acme", "c_two", Path.GetFileName(file));
        Assert.ThrowsAny<CryptographicException>(() => OutboxMailSender.Open(ring, moved, stored));

        await outbox.Purge("acme", "c_one");
        Assert.False(Directory.Exists(Path.Combine(folder, "acme", "c_one")));
        Assert.True(Directory.Exists(Path.Combine(folder, "acme", "c_two")));
        await outbox.PurgeTenant("acme");
        Assert.False(Directory.Exists(Path.Combine(folder, "acme")));
    }

    [Fact]
    public async Task The_sweep_deletes_mail_older_than_two_years_and_keeps_younger_mail()
    {
        var outbox = Outbox();
        await outbox.Send(Mail("c_old"));
        File.SetLastWriteTimeUtc(Directory.EnumerateFiles(Path.Combine(folder, "acme", "c_old")).Single(), time.GetUtcNow().UtcDateTime.AddDays(-731));
        await outbox.Send(Mail("c_new"));

        Assert.Equal(1, outbox.Sweep());
        Assert.False(Directory.Exists(Path.Combine(folder, "acme", "c_old")));
        Assert.Single(Directory.EnumerateFiles(Path.Combine(folder, "acme", "c_new")));
    }

    [Fact]
    public async Task An_id_that_is_not_an_id_never_becomes_a_path()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Outbox().Send(Mail("../../etc")));
    }

    [Fact]
    public void Keeping_mail_longer_than_two_years_is_refused()
    {
        Assert.NotEmpty(new MailOptions { KeepFor = TimeSpan.FromDays(731) }.Problems());
        Assert.Empty(new MailOptions().Problems());
    }

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}
