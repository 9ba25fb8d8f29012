namespace ChatCluster.Grains.Mail;

/// <summary>
/// Sends mail to a visitor (W5 transcripts, R5 verification codes) and forgets it again (R1, R5, R6). Every mail
/// is filed under its tenant and a pseudonymous subject id (a conversation id, a hashed email), so retention,
/// erasure and account closure can delete whatever copy is kept without reading any mail.
/// </summary>
public interface IMailSender
{
    Task Send(OutgoingMail mail);

    /// <summary>Deletes every kept copy of mail filed under <paramref name="subjectId"/> of the tenant.</summary>
    Task Purge(string tenantId, string subjectId);

    /// <summary>Deletes every kept copy of the tenant's mail (account closure, R3).</summary>
    Task PurgeTenant(string tenantId);
}

/// <param name="SubjectId">Where the mail is filed: a conversation id or another pseudonymous id; never an address.</param>
public sealed record OutgoingMail(string TenantId, string SubjectId, string ToAddress, string? ToName, string Title, string TextBody);
