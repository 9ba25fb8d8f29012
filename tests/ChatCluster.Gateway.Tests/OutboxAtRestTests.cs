using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using ChatCluster.Silo.Hosting.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Gateway.Tests;

/// <summary>The embedded default with an outbox folder of its own, so a test can read every file in it.</summary>
public sealed class OwnOutboxGatewayFixture : GatewayFixture, IAsyncLifetime
{
    public string OutboxPath { get; } = Path.Combine(Path.GetTempPath(), "embedded-outbox-" + Guid.NewGuid().ToString("N")[..8]);

    protected override Dictionary<string, string?> Settings => new() { ["ChatCluster:Mail:OutboxPath"] = OutboxPath };

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(OutboxPath)) Directory.Delete(OutboxPath, recursive: true);
    }
}

/// <summary>
/// S1, R6 in the embedded default (no SMTP, no database): mail kept in the outbox folder is sealed with the personal-data
/// key ring, as cluster mode's <c>mail_outbox</c> rows are, so no file holds a visitor's name, address, transcript or code
/// in the clear, while the ring still opens every mail.
/// </summary>
public sealed partial class OutboxAtRestTests(OwnOutboxGatewayFixture gateway) : IClassFixture<OwnOutboxGatewayFixture>
{
    [Fact]
    public async Task Transcript_and_code_mail_on_disk_hold_no_personal_data_and_the_key_ring_opens_them()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var name = $"Philippa Quennell{tag}";
        var email = $"philippa.{tag}@mailbox-privacy.test";
        var text = $"my parcel number is ZX-{tag}-QQ";
        string conversationId;
        await using (var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json))
        {
            await visitor.HelloVisitor(gateway.SiteKey);
            conversationId = await visitor.StartConversation(name, email);
            await visitor.SendMessage(conversationId, "m-1", text);
            await visitor.Send(new { type = "close", id = "bye-1", conversationId });
            var transcript = await MailUnder(conversationId);
            Assert.Contains(email, transcript.Mail);
            Assert.Contains(name, transcript.Mail);
            Assert.Contains(text, transcript.Mail);
        }
        var verify = await gateway.Http.PostAsJsonAsync("/api/privacy/self/verify", new { siteKey = gateway.SiteKey, email });
        Assert.Equal(HttpStatusCode.Accepted, verify.StatusCode);
        var codeMail = await MailUnder(null, notIn: conversationId); // filed under the address's hash, never the address
        Assert.StartsWith("e_", codeMail.Subject);
        var code = CodePattern().Match(codeMail.Mail).Groups[1].Value;
        Assert.Matches("^[0-9]{6}$", code);

        var files = Directory.EnumerateFiles(gateway.OutboxPath, "*", SearchOption.AllDirectories).ToList();
        Assert.True(files.Count >= 2, "the transcript and the code mail are kept");
        foreach (var file in files)
        {
            Assert.EndsWith(OutboxMailSender.Extension, file);
            var stored = await File.ReadAllBytesAsync(file);
            foreach (var needle in new[] { name, email, text, code, tag })
            {
                foreach (var form in new[] { needle, needle.ToLowerInvariant() }.SelectMany(n => new[] { Encoding.UTF8.GetBytes(n), Encoding.Unicode.GetBytes(n) }))
                    Assert.True(stored.AsSpan().IndexOf(form) < 0, $"{file} holds '{needle}' in the clear");
            }
        }
    }

    /// <summary>Waits for a mail filed under <paramref name="subjectId"/> (any subject but <paramref name="notIn"/> when null) and opens it with the ring.</summary>
    private async Task<(string Subject, string Mail)> MailUnder(string? subjectId, string? notIn = null)
    {
        var outbox = gateway.Services.GetRequiredService<OutboxMailSender>();
        for (var i = 0; i < 200; i++)
        {
            if (Directory.Exists(gateway.OutboxPath))
            {
                foreach (var folder in Directory.EnumerateDirectories(gateway.OutboxPath, "*", SearchOption.AllDirectories).Where(d => Directory.EnumerateFiles(d).Any()))
                {
                    var subject = Path.GetFileName(folder);
                    if (subjectId is not null ? subject != subjectId : subject == notIn) continue;
                    var mails = await outbox.Read(Path.GetFileName(Path.GetDirectoryName(folder)!), subject);
                    if (mails.Count > 0) return (subject, mails[^1]);
                }
            }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"No mail was kept under {subjectId ?? "a new subject"}.");
    }

    [GeneratedRegex(@"code is (\d{6})")]
    private static partial Regex CodePattern();
}
