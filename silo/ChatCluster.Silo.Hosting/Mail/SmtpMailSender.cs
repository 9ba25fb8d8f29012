using ChatCluster.Grains.Mail;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace ChatCluster.Silo.Hosting.Mail;

/// <summary>
/// Mail over SMTP with MailKit. The message is handed to the mail server and no copy is kept here, so there is
/// nothing to purge: what the mail server and the recipient keep is outside ChatCluster (docs/privacy.md).
/// </summary>
public sealed class SmtpMailSender(MailOptions options, TimeProvider time) : IMailSender
{
    public async Task Send(OutgoingMail mail)
    {
        var message = MimeComposer.Compose(options, mail, time.GetUtcNow());
        using var client = new SmtpClient { Timeout = 30_000 };
        await client.ConnectAsync(options.Smtp.Host!, options.Smtp.Port, Security(options.Smtp.Security));
        if (options.Smtp.Username is { Length: > 0 } user) await client.AuthenticateAsync(user, options.Smtp.Password ?? "");
        await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);
    }

    public Task Purge(string tenantId, string subjectId) => Task.CompletedTask;

    public Task PurgeTenant(string tenantId) => Task.CompletedTask;

    private static SecureSocketOptions Security(string value) => value switch
    {
        "None" => SecureSocketOptions.None,
        "StartTls" => SecureSocketOptions.StartTls,
        "SslOnConnect" => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTlsWhenAvailable,
    };
}
