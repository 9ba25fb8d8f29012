using ChatCluster.Grains.Mail;
using ChatCluster.Silo.Hosting.Mail;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace ChatCluster.Grains.Tests;

/// <summary>The SMTP path (W5) against a loopback mail server: what arrives, how logging in works, how failures read.</summary>
public sealed class SmtpMailSenderTests
{
    private const string Address = "jo@example.com";

    private static SmtpMailSender Sender(int port, string? user = null, string? password = null, TimeSpan? timeout = null) => new(new MailOptions
    {
        FromAddress = "chat@shop.test",
        FromName = "Shop chat",
        Smtp = new SmtpOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Security = "None",
            Username = user,
            Password = password,
            Timeout = timeout ?? TimeSpan.FromSeconds(5),
        },
    }, TimeProvider.System);

    private static OutgoingMail Mail(string to = Address) =>
        new("acme", "c_one", to, "Jo", "Your chat transcript", "[10:00] You: hello\n.a line that starts with a dot\n[10:01] Agent: hi");

    [Fact]
    public async Task A_mail_reaches_the_server_with_sender_recipient_subject_and_the_whole_body()
    {
        await using var server = new LoopbackSmtpServer();
        await Sender(server.Port).Send(Mail());

        var delivery = Assert.Single(server.Messages);
        Assert.Equal("chat@shop.test", delivery.From);
        Assert.Equal([Address], delivery.To);
        Assert.Null(delivery.AuthenticatedUser);
        var message = Parse(delivery);
        Assert.Equal("Your chat transcript", message.Subject);
        Assert.Equal(Address, message.To.Mailboxes.Single().Address);
        Assert.Contains("[10:00] You: hello", message.TextBody);
        Assert.Contains("\n.a line that starts with a dot", message.TextBody!.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("PLAIN")]
    [InlineData("LOGIN")]
    public async Task With_a_username_the_sender_logs_in_before_sending(string mechanism)
    {
        await using var server = new LoopbackSmtpServer { Credentials = ("mailer", "s3cret"), Mechanisms = mechanism };
        await Sender(server.Port, "mailer", "s3cret").Send(Mail());
        Assert.Equal("mailer", Assert.Single(server.Messages).AuthenticatedUser);
    }

    [Fact]
    public async Task Wrong_credentials_fail_naming_the_settings_and_send_nothing()
    {
        await using var server = new LoopbackSmtpServer { Credentials = ("mailer", "s3cret") };
        var error = await Assert.ThrowsAsync<MailDeliveryException>(() => Sender(server.Port, "mailer", "wrong").Send(Mail()));
        Assert.Contains("ChatCluster:Mail:Smtp:Username", error.Message);
        Assert.False(error.Transient);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task A_refused_recipient_fails_with_the_smtp_status_and_without_the_address()
    {
        await using var server = new LoopbackSmtpServer { RefusesRecipient = to => to == Address };
        var error = await Assert.ThrowsAsync<MailDeliveryException>(() => Sender(server.Port).Send(Mail()));
        Assert.Contains("SMTP 550", error.Message);
        Assert.DoesNotContain(Address, error.Message);
        Assert.Null(error.InnerException);
        Assert.False(error.Transient);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task A_server_that_is_down_fails_quickly_as_a_transient_error()
    {
        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<MailDeliveryException>(() => Sender(LoopbackSmtpServer.ClosedPort()).Send(Mail()));
        Assert.Contains("connecting to the mail server 127.0.0.1", error.Message);
        Assert.True(error.Transient);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_server_that_never_answers_fails_after_the_configured_timeout()
    {
        await using var server = new LoopbackSmtpServer { Silent = true };
        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<MailDeliveryException>(() => Sender(server.Port, timeout: TimeSpan.FromSeconds(1)).Send(Mail()));
        Assert.Contains("ChatCluster:Mail:Smtp:Timeout", error.Message);
        Assert.True(error.Transient);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_smtp_sender_keeps_no_copy_so_purging_is_a_no_op()
    {
        var outbox = Path.Combine(Path.GetTempPath(), "smtp-no-outbox-" + Guid.NewGuid().ToString("N")[..8]);
        await using var server = new LoopbackSmtpServer();
        var sender = new SmtpMailSender(new MailOptions { OutboxPath = outbox, Smtp = new SmtpOptions { Host = "127.0.0.1", Port = server.Port, Security = "None" } }, TimeProvider.System);
        await sender.Send(Mail());
        Assert.False(Directory.Exists(outbox));
        await sender.Purge("acme", "c_one");
        await sender.PurgeTenant("acme");
    }

    [Fact]
    public async Task Sent_and_failed_mail_are_counted_by_outcome_for_operators_to_alert_on()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var counted = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var tagText = string.Concat(tags.ToArray().Select(t => $" {t.Key}={t.Value}"));
            lock (counted) counted.Add($"{instrument.Name} {value}{tagText}");
        });
        listener.Start();
        var metrics = new MailMetrics(factory);
        await using var server = new LoopbackSmtpServer { RefusesRecipient = to => to.StartsWith("refused", StringComparison.Ordinal) };

        await new MeteredMailSender(Sender(server.Port), metrics).Send(Mail());
        await Assert.ThrowsAsync<MailDeliveryException>(() => new MeteredMailSender(Sender(server.Port), metrics).Send(Mail("refused@example.com")));
        await Assert.ThrowsAsync<MailDeliveryException>(() => new MeteredMailSender(Sender(LoopbackSmtpServer.ClosedPort()), metrics).Send(Mail()));

        Assert.Equal(["chatcluster.mail.sent 1", "chatcluster.mail.failed 1 transient=False", "chatcluster.mail.failed 1 transient=True"], counted);
    }

    [Fact]
    public void Smtp_settings_out_of_range_are_refused_by_name()
    {
        var problems = new MailOptions { Smtp = new SmtpOptions { Host = "mail.test", Security = "TLS please", Timeout = TimeSpan.FromMinutes(1) } }.Problems().ToList();
        Assert.Contains(problems, p => p.Contains("ChatCluster:Mail:Smtp:Security") && p.Contains("StartTls"));
        Assert.Contains(problems, p => p.Contains("ChatCluster:Mail:Smtp:Timeout"));
        Assert.Empty(new MailOptions { Smtp = new SmtpOptions { Host = "mail.test" } }.Problems());
    }

    private static MimeMessage Parse(SmtpDelivery delivery) => MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(delivery.Data)));
}
