using ChatCluster.Grains.Mail;
using ChatCluster.Silo.Hosting.Encryption;
using MimeKit;

namespace ChatCluster.Silo.Hosting.Mail;

/// <summary>
/// The embedded default's mail: each mail is a file at <c>{outbox}/{tenant}/{subject}/{time}-{mail id}.sealed</c> holding
/// the whole MIME message sealed with the personal-data key ring, exactly as the database outbox seals its rows
/// (<see cref="SealedMail"/>, S1): no name, address, transcript or code is on disk in the clear. <see cref="Read"/> opens
/// a subject's mail with the ring (the silo's <c>open-mail</c> command does so for a developer). The folder layout is what
/// lets erasure, retention and closure delete a person's mail by pseudonymous id alone. Only the embedded default (one
/// process, nothing installed) uses it; cluster mode keeps its outbox in the database (<see cref="PostgresOutbox"/>).
/// </summary>
public sealed class OutboxMailSender(MailOptions options, PersonalDataCipher cipher, TimeProvider time) : IMailSender, IOutboxSweep
{
    public const string Extension = ".sealed";

    public string Root { get; } = Path.GetFullPath(options.OutboxPath);

    public async Task Send(OutgoingMail mail)
    {
        var folder = SubjectFolder(mail.TenantId, mail.SubjectId);
        var now = time.GetUtcNow();
        var mailId = Guid.NewGuid();
        var sealedMail = await SealedMail.Seal(cipher, options, mail, mailId, now);
        Directory.CreateDirectory(folder);
        // Written beside and renamed into place: whoever picks mail up never reads half a message.
        var path = Path.Combine(folder, $"{now:yyyyMMddTHHmmssfff}-{mailId:N}{Extension}");
        await File.WriteAllBytesAsync(path + ".part", sealedMail);
        File.Move(path + ".part", path);
    }

    /// <summary>The MIME text of every mail kept under the tenant and subject, oldest first, opened with the key ring.</summary>
    public async Task<IReadOnlyList<string>> Read(string tenantId, string subjectId)
    {
        var folder = SubjectFolder(tenantId, subjectId);
        if (!Directory.Exists(folder)) return [];
        var mails = new List<string>();
        foreach (var file in Directory.EnumerateFiles(folder, "*" + Extension).Order(StringComparer.Ordinal))
            mails.Add(Open(cipher, file, await File.ReadAllBytesAsync(file)));
        return mails;
    }

    /// <summary>
    /// Opens one kept mail file: its place (tenant and subject folders, the mail id in its name) is the associated data
    /// it was sealed with, so a file moved to another subject's folder does not open.
    /// </summary>
    public static string Open(PersonalDataCipher cipher, string path, byte[] sealedMail)
    {
        var full = Path.GetFullPath(path);
        var subjectFolder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' is not an outbox mail file.", nameof(path));
        var tenantFolder = Path.GetDirectoryName(subjectFolder) ?? throw new ArgumentException($"'{path}' is not an outbox mail file.", nameof(path));
        var name = Path.GetFileName(full);
        var dash = name.LastIndexOf('-');
        if (!name.EndsWith(Extension, StringComparison.Ordinal) || dash < 0 ||
            !Guid.TryParseExact(name[(dash + 1)..^Extension.Length], "N", out var mailId))
            throw new ArgumentException($"'{path}' is not an outbox mail file ({{time}}-{{mail id}}{Extension}).", nameof(path));
        return SealedMail.Open(cipher, sealedMail, Path.GetFileName(tenantFolder), Path.GetFileName(subjectFolder), mailId);
    }

    public Task Purge(string tenantId, string subjectId)
    {
        var folder = SubjectFolder(tenantId, subjectId);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        return Task.CompletedTask;
    }

    public Task PurgeTenant(string tenantId)
    {
        var folder = Path.Combine(Root, Safe(tenantId));
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        return Task.CompletedTask;
    }

    Task<int> IOutboxSweep.Sweep() => Task.FromResult(Sweep());

    /// <summary>Deletes every file older than <see cref="MailOptions.KeepFor"/> (R6) and the folders left empty; returns how many files went.</summary>
    public int Sweep()
    {
        if (!Directory.Exists(Root)) return 0;
        var cutoff = time.GetUtcNow().UtcDateTime - options.KeepFor;
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).ToList())
        {
            if (File.GetLastWriteTimeUtc(file) >= cutoff) continue;
            File.Delete(file);
            deleted++;
        }
        foreach (var folder in Directory.EnumerateDirectories(Root, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).ToList())
        {
            if (!Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
        return deleted;
    }

    private string SubjectFolder(string tenantId, string subjectId) => Path.Combine(Root, Safe(tenantId), Safe(subjectId));

    /// <summary>Ids are tenant ids and local ids (letters, digits, '_' and '-'); anything else must not reach a path.</summary>
    private static string Safe(string id) =>
        id.Length is > 0 and <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            ? id
            : throw new ArgumentException($"'{id}' is not an id that can name an outbox folder.", nameof(id));
}

internal static class MimeComposer
{
    public static MimeMessage Compose(MailOptions options, OutgoingMail mail, DateTimeOffset at)
    {
        var message = new MimeMessage
        {
            Subject = mail.Title,
            Date = at,
            Body = new TextPart("plain") { Text = mail.TextBody },
        };
        message.From.Add(new MailboxAddress(options.FromName, options.FromAddress));
        message.To.Add(new MailboxAddress(mail.ToName ?? "", mail.ToAddress));
        return message;
    }
}
