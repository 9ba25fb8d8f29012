using ChatCluster.Silo.Hosting.Mail;
using Npgsql;

namespace ChatCluster.Silo.Hosting.Encryption.Reencryption;

/// <summary>
/// <c>mail_outbox.message</c> (migration 0007): each kept mail sealed whole with <see cref="SealedMail.Context"/> of its
/// tenant, subject and mail id. Rows are walked in primary-key order. Mail is never edited, only deleted (erasure,
/// expiry, purge, the sweep), so a write-back that finds the value changed or gone leaves it alone.
/// </summary>
public sealed class MailOutboxMessages(NpgsqlDataSource dataSource) : ISealedTable
{
    private const string FirstBatchSql = """
        SELECT tenant_id, subject_id, mail_id, message
        FROM mail_outbox
        ORDER BY tenant_id, subject_id, mail_id
        LIMIT @limit
        """;

    private const string NextBatchSql = """
        SELECT tenant_id, subject_id, mail_id, message
        FROM mail_outbox
        WHERE (tenant_id, subject_id, mail_id) > (@tenant, @subject, @mail)
        ORDER BY tenant_id, subject_id, mail_id
        LIMIT @limit
        """;

    private const string WriteBackSql = """
        UPDATE mail_outbox SET message = @value
        WHERE tenant_id = @tenant AND subject_id = @subject AND mail_id = @mail AND message = @old
        """;

    private (string Tenant, string Subject, Guid Mail)? cursor;

    public string Name => "mail_outbox";

    public async Task<IReadOnlyList<SealedCell>> NextBatch(int batchSize, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(cursor is null ? FirstBatchSql : NextBatchSql);
        command.Parameters.AddWithValue("limit", batchSize);
        if (cursor is var (tenantAfter, subjectAfter, mailAfter))
        {
            command.Parameters.AddWithValue("tenant", tenantAfter);
            command.Parameters.AddWithValue("subject", subjectAfter);
            command.Parameters.AddWithValue("mail", mailAfter);
        }
        var cells = new List<SealedCell>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var (tenant, subject, mail) = (reader.GetString(0), reader.GetString(1), reader.GetGuid(2));
            var value = reader.GetFieldValue<byte[]>(3);
            cells.Add(new SealedCell("mail_outbox.message", $"{tenant}/{subject} mail {mail:N}", value, SealedMail.Context(tenant, subject, mail),
                (resealed, ct) => WriteBack(tenant, subject, mail, value, resealed, ct)));
            cursor = (tenant, subject, mail);
        }
        return cells;
    }

    private async Task<bool> WriteBack(string tenant, string subject, Guid mail, byte[] old, byte[] resealed, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(WriteBackSql);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("subject", subject);
        command.Parameters.AddWithValue("mail", mail);
        command.Parameters.AddWithValue("old", old);
        command.Parameters.AddWithValue("value", resealed);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }
}
