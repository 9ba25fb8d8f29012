using ChatCluster.Grains.Mail;
using MimeKit;

namespace ChatCluster.Silo.Hosting.Mail;

/// <summary>
/// The embedded default's mail: each mail is an <c>.eml</c> file at <c>{outbox}/{tenant}/{subject}/{time}-{n}.eml</c>,
/// readable with any mail program. The folder layout is what lets erasure, retention and closure delete a person's
/// mail by pseudonymous id alone. Only the embedded default (one process, nothing installed) uses it; cluster mode keeps
/// its outbox in the database, sealed (<see cref="PostgresOutbox"/>).
/// </summary>
public sealed class OutboxMailSender(MailOptions options, TimeProvider time) : IMailSender, IOutboxSweep
{
    public string Root { get; } = Path.GetFullPath(options.OutboxPath);

    public async Task Send(OutgoingMail mail)
    {
        var folder = SubjectFolder(mail.TenantId, mail.SubjectId);
        Directory.CreateDirectory(folder);
        var message = MimeComposer.Compose(options, mail, time.GetUtcNow());
        var path = Path.Combine(folder, $"{time.GetUtcNow():yyyyMMddTHHmmssfff}-{Guid.NewGuid():N}.eml");
        // Written beside and renamed into place: whoever picks mail up never reads half a message.
        var partial = path + ".part";
        await message.WriteToAsync(partial);
        File.Move(partial, path);
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
