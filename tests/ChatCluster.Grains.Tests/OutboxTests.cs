using ChatCluster.Grains.Mail;
using ChatCluster.Silo.Hosting.Mail;
using Microsoft.Extensions.Time.Testing;

namespace ChatCluster.Grains.Tests;

/// <summary>The outbox folder (W5, R6): mail filed by pseudonymous ids, purged by them, never kept past two years.</summary>
public sealed class OutboxTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "outbox-test-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);

    private OutboxMailSender Outbox() => new(new MailOptions { OutboxPath = folder }, time);

    private static OutgoingMail Mail(string conversationId) =>
        new("acme", conversationId, "jo@example.com", "Jo", "Your chat transcript", "[10:00] You: hello");

    [Fact]
    public async Task A_mail_is_an_eml_file_under_tenant_and_subject_and_purging_the_subject_deletes_it()
    {
        var outbox = Outbox();
        await outbox.Send(Mail("c_one"));
        await outbox.Send(Mail("c_two"));
        var file = Directory.EnumerateFiles(Path.Combine(folder, "acme", "c_one")).Single();
        Assert.EndsWith(".eml", file);
        var text = await File.ReadAllTextAsync(file);
        Assert.Contains("jo@example.com", text);
        Assert.Contains("[10:00] You: hello", text);

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
