using System.Text;
using ChatCluster.Grains.Mail;
using ChatCluster.Silo.Hosting.Encryption;

namespace ChatCluster.Silo.Hosting.Mail;

/// <summary>
/// How mail kept at rest is sealed, whatever the outbox (S1, R6): the whole MIME message, AES-256-GCM under the
/// personal-data key ring (<see cref="PersonalDataCipher"/>), bound to where it is filed — tenant, pseudonymous subject
/// and the mail's own id — so a sealed mail copied to another subject does not open. The database outbox
/// (<see cref="PostgresOutbox"/>) and the embedded default's folder (<see cref="OutboxMailSender"/>) both use this, so
/// the same ring opens either and a key rotation treats both alike.
/// </summary>
public static class SealedMail
{
    /// <summary>The associated data of a sealed mail: its place, never its content.</summary>
    public static string Context(string tenantId, string subjectId, Guid mailId) => $"mail_outbox/{tenantId}/{subjectId}/{mailId:N}";

    /// <summary>Composes <paramref name="mail"/> as MIME and seals it; the plaintext never leaves this call.</summary>
    public static async Task<byte[]> Seal(PersonalDataCipher cipher, MailOptions options, OutgoingMail mail, Guid mailId, DateTimeOffset at)
    {
        using var mime = new MemoryStream();
        await MimeComposer.Compose(options, mail, at).WriteToAsync(mime).ConfigureAwait(false);
        return cipher.Seal(mime.GetBuffer().AsSpan(0, (int)mime.Length), Context(mail.TenantId, mail.SubjectId, mailId));
    }

    /// <summary>The MIME text of a sealed mail, opened with the key ring (for an operator or a test; nothing delivers it).</summary>
    public static string Open(PersonalDataCipher cipher, ReadOnlySpan<byte> sealedMail, string tenantId, string subjectId, Guid mailId) =>
        Encoding.UTF8.GetString(cipher.Open(sealedMail, Context(tenantId, subjectId, mailId)));
}
