using ChatCluster.Grains.Mail;
using ChatCluster.Silo.Hosting.Encryption;
using Npgsql;

namespace ChatCluster.Silo.Hosting.Mail;

/// <summary>
/// Cluster mode's outbox when no SMTP server is set: each mail is a row of <c>mail_outbox</c> (migration 0007) holding
/// the whole MIME message sealed with the personal-data key ring (<see cref="SealedMail"/>, S1), filed under its tenant and pseudonymous subject.
/// Every silo reaches the same rows, so an erasure, expiry or account purge run by any silo deletes the mail (R1, R3,
/// R5), and the sweep of any silo deletes rows older than <see cref="MailOptions.KeepFor"/> (R6).
/// </summary>
public sealed class PostgresOutbox(NpgsqlDataSource dataSource, PersonalDataCipher cipher, MailOptions options, TimeProvider time)
    : IMailSender, IOutboxSweep, IAsyncDisposable
{
    private const string InsertSql = """
        INSERT INTO mail_outbox (tenant_id, subject_id, mail_id, created_at, message)
        VALUES (@tenant, @subject, @mail, @created, @message)
        """;

    /// <summary>Binds a sealed mail to its row, so a value copied to another row does not open (<see cref="SealedMail.Context"/>).</summary>
    public static string Context(string tenantId, string subjectId, Guid mailId) => SealedMail.Context(tenantId, subjectId, mailId);

    public async Task Send(OutgoingMail mail)
    {
        var now = time.GetUtcNow();
        var mailId = Guid.NewGuid();
        var message = await SealedMail.Seal(cipher, options, mail, mailId, now);
        await using var command = dataSource.CreateCommand(InsertSql);
        command.Parameters.AddWithValue("tenant", mail.TenantId);
        command.Parameters.AddWithValue("subject", mail.SubjectId);
        command.Parameters.AddWithValue("mail", mailId);
        command.Parameters.AddWithValue("created", now.UtcDateTime);
        command.Parameters.AddWithValue("message", message);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public Task Purge(string tenantId, string subjectId) =>
        Execute("DELETE FROM mail_outbox WHERE tenant_id = @tenant AND subject_id = @subject", ("tenant", tenantId), ("subject", subjectId));

    public Task PurgeTenant(string tenantId) => Execute("DELETE FROM mail_outbox WHERE tenant_id = @tenant", ("tenant", tenantId));

    public Task<int> Sweep() =>
        Execute("DELETE FROM mail_outbox WHERE created_at < @cutoff", ("cutoff", (time.GetUtcNow() - options.KeepFor).UtcDateTime));

    private async Task<int> Execute(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}

/// <summary>An outbox whose old mail a sweep deletes (R6).</summary>
public interface IOutboxSweep
{
    /// <summary>Deletes every mail older than <see cref="MailOptions.KeepFor"/>; returns how many went.</summary>
    Task<int> Sweep();
}
