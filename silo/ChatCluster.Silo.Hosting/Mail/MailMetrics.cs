using System.Diagnostics.Metrics;
using ChatCluster.Grains.Mail;

namespace ChatCluster.Silo.Hosting.Mail;

/// <summary>
/// Counts mail handed on and mail that failed (meter <c>ChatCluster.Mail</c>), so an operator can alert on a mail
/// server that refuses or is down; reasons are only in the silo's log. Transcripts that failed transiently are
/// retried: each retry and each transcript given up is counted too. Counts only, no address and no id.
/// </summary>
public sealed class MailMetrics : ITranscriptRetryMetrics
{
    public const string MeterName = "ChatCluster.Mail";

    private readonly Counter<long> sent;
    private readonly Counter<long> failed;
    private readonly Counter<long> retried;
    private readonly Counter<long> abandoned;

    public MailMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        sent = meter.CreateCounter<long>("chatcluster.mail.sent", "{mail}", "Mails handed to the mail server or written to the outbox.");
        failed = meter.CreateCounter<long>("chatcluster.mail.failed", "{mail}",
            "Mails that could not be sent, tagged transient (server down, slow or 4xx) or not (refused); reasons are in the silo's warnings.");
        retried = meter.CreateCounter<long>("chatcluster.mail.retried", "{mail}", "Retries of transcripts whose earlier send failed transiently.");
        abandoned = meter.CreateCounter<long>("chatcluster.mail.abandoned", "{mail}",
            "Transcripts given up after ChatCluster:Mail:Retry:GiveUpAfter of transient failures; never delivered.");
    }

    public void Sent() => sent.Add(1);

    public void Failed(bool transient) => failed.Add(1, new KeyValuePair<string, object?>("transient", transient));

    public void Retried() => retried.Add(1);

    public void Abandoned() => abandoned.Add(1);
}

/// <summary>Counts every send of the sender it wraps in <see cref="MailMetrics"/>; failures still reach the caller.</summary>
public sealed class MeteredMailSender(IMailSender inner, MailMetrics metrics) : IMailSender
{
    public async Task Send(OutgoingMail mail)
    {
        try
        {
            await inner.Send(mail);
        }
        catch (Exception e)
        {
            metrics.Failed(transient: e is not MailDeliveryException { Transient: false });
            throw;
        }
        metrics.Sent();
    }

    public Task Purge(string tenantId, string subjectId) => inner.Purge(tenantId, subjectId);

    public Task PurgeTenant(string tenantId) => inner.PurgeTenant(tenantId);
}
