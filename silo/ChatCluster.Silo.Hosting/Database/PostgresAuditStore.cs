using ChatCluster.Grains.Privacy;
using ChatCluster.Privacy;
using Npgsql;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// The audit log in PostgreSQL (<c>audit_entries</c>, migration 0007): one INSERT per entry and never an UPDATE, so
/// the log is append-only in the database too and an entry costs the same however long the day is (R7).
/// </summary>
public sealed class PostgresAuditStore(NpgsqlDataSource dataSource) : IAuditStore
{
    private const string InsertSql = """
        INSERT INTO audit_entries (tenant_id, at, actor, action, subject, detail)
        VALUES (@tenant, @at, @actor, @action, @subject, @detail)
        """;

    private const string ListSql = """
        SELECT at, actor, action, subject, detail FROM audit_entries
        WHERE tenant_id = @tenant AND at >= @from AND at < @to
        ORDER BY at, entry_id
        """;

    private const string PurgeSql = "DELETE FROM audit_entries WHERE tenant_id = @tenant";

    public async Task Append(string tenantId, AuditEntry entry)
    {
        await using var command = dataSource.CreateCommand(InsertSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("at", entry.At.UtcDateTime);
        command.Parameters.AddWithValue("actor", entry.Actor);
        command.Parameters.AddWithValue("action", entry.Action.ToString());
        command.Parameters.AddWithValue("subject", entry.Subject);
        command.Parameters.AddWithValue("detail", (object?)entry.Detail ?? DBNull.Value);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AuditEntry>> List(string tenantId, DateOnly day)
    {
        var from = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        await using var command = dataSource.CreateCommand(ListSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", from.AddDays(1));
        var entries = new List<AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            entries.Add(new AuditEntry(
                new DateTimeOffset(reader.GetFieldValue<DateTime>(0), TimeSpan.Zero),
                reader.GetString(1),
                Enum.Parse<AuditAction>(reader.GetString(2)),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return entries;
    }

    public async Task PurgeTenant(string tenantId)
    {
        await using var command = dataSource.CreateCommand(PurgeSql);
        command.Parameters.AddWithValue("tenant", tenantId);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
