using System.Net.Sockets;
using ChatCluster.Grains.Mail;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace ChatCluster.Silo.Hosting.Mail;

/// <summary>
/// Mail over SMTP with MailKit. The message is handed to the mail server and no copy is kept here, so there is
/// nothing to purge: what the mail server and the recipient keep is outside ChatCluster (docs/privacy.md).
/// Every failure becomes a <see cref="MailDeliveryException"/> that names the step and the SMTP status but not the
/// address, and the whole exchange is bounded by <see cref="SmtpOptions.Timeout"/>, because the conversation's
/// close waits for it.
/// </summary>
public sealed class SmtpMailSender(MailOptions options, TimeProvider time) : IMailSender
{
    public async Task Send(OutgoingMail mail)
    {
        var smtp = options.Smtp;
        var message = MimeComposer.Compose(options, mail, time.GetUtcNow());
        // Real time on purpose: this bounds a network exchange, not a business deadline (tests may fake the clock).
        using var deadline = new CancellationTokenSource(smtp.Timeout);
        using var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        var step = "connecting to";
        try
        {
            await client.ConnectAsync(smtp.Host!, smtp.Port, Security(smtp.Security), deadline.Token);
            if (smtp.Username is { Length: > 0 } user)
            {
                step = "logging in to";
                await client.AuthenticateAsync(user, smtp.Password ?? "", deadline.Token);
            }
            step = "sending through";
            await client.SendAsync(message, deadline.Token);
            await client.DisconnectAsync(quit: true, deadline.Token);
        }
        catch (SmtpCommandException e)
        {
            throw Failed($"{Server} refused the mail ({e.ErrorCode}, SMTP {(int)e.StatusCode})", transient: (int)e.StatusCode is >= 400 and < 500);
        }
        catch (AuthenticationException)
        {
            throw Failed($"{Server} did not accept {SmtpOptions.Section}:Username and Password", transient: false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            throw Failed($"{Server} did not answer within {smtp.Timeout.TotalSeconds:0.#} s ({SmtpOptions.Section}:Timeout) while {step} it", transient: true);
        }
        catch (Exception e) when (e is SocketException or IOException or SmtpProtocolException or ServiceNotConnectedException or NotSupportedException)
        {
            throw Failed($"{step} {Server} failed ({e.GetType().Name})", transient: e is not NotSupportedException);
        }
    }

    public Task Purge(string tenantId, string subjectId) => Task.CompletedTask;

    public Task PurgeTenant(string tenantId) => Task.CompletedTask;

    private string Server => $"the mail server {options.Smtp.Host}:{options.Smtp.Port}";

    private static MailDeliveryException Failed(string reason, bool transient) => new($"Mail not sent: {reason}.", transient);

    private static SecureSocketOptions Security(string value) => value switch
    {
        "None" => SecureSocketOptions.None,
        "StartTls" => SecureSocketOptions.StartTls,
        "SslOnConnect" => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTlsWhenAvailable,
    };
}
