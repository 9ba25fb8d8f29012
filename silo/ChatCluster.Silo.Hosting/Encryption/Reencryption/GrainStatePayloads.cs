using Npgsql;
using NpgsqlTypes;

namespace ChatCluster.Silo.Hosting.Encryption.Reencryption;

/// <summary>
/// <c>orleans_storage.payload</c> (migration 0003): every grain's state, sealed as a whole with
/// <see cref="EncryptingGrainStorageSerializer.Context"/>. Rows are walked in the order of the table's unique key.
/// A payload is written back only while the row's <c>version</c> (the grain's ETag) and payload are unchanged, and
/// the version is left as it is, so a live grain's next write still succeeds and simply supersedes the re-sealed bytes
/// (<c>written_at</c> too: it records the grain's last write, and the pass writes no new state). Rows of every service
/// id in the database are walked; all silos sharing a database share one key ring.
/// </summary>
public sealed class GrainStatePayloads(NpgsqlDataSource dataSource) : ISealedTable
{
    // NULLS LAST matches the unique index, so the walk follows it. After the cursor within the same
    // (hash, type hash, service, type, n0, n1) come the larger extensions and then the NULL one; after NULL, nothing.
    private const string FirstBatchSql = """
        SELECT grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension, version, payload
        FROM orleans_storage
        ORDER BY grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension NULLS LAST
        LIMIT @limit
        """;

    private const string NextBatchSql = """
        SELECT grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension, version, payload
        FROM orleans_storage
        WHERE (grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1) >= (@hash, @type_hash, @service, @type, @n0, @n1)
          AND ((grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1) > (@hash, @type_hash, @service, @type, @n0, @n1)
               OR (@extension IS NOT NULL AND (grain_id_extension > @extension OR grain_id_extension IS NULL)))
        ORDER BY grain_id_hash, grain_type_hash, service_id, grain_type, grain_id_n0, grain_id_n1, grain_id_extension NULLS LAST
        LIMIT @limit
        """;

    private const string WriteBackSql = """
        UPDATE orleans_storage SET payload = @payload
        WHERE grain_id_hash = @hash AND grain_type_hash = @type_hash AND service_id = @service AND grain_type = @type
          AND grain_id_n0 = @n0 AND grain_id_n1 = @n1 AND grain_id_extension IS NOT DISTINCT FROM @extension
          AND version = @version AND payload = @old
        """;

    private GrainRow? cursor;

    public string Name => "orleans_storage";

    public async Task<IReadOnlyList<SealedCell>> NextBatch(int batchSize, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(cursor is null ? FirstBatchSql : NextBatchSql);
        command.Parameters.AddWithValue("limit", batchSize);
        if (cursor is not null) AddKey(command, cursor);
        var cells = new List<SealedCell>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = new GrainRow(reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
                reader.GetInt64(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt32(7));
            var payload = reader.GetFieldValue<byte[]>(8);
            cells.Add(new SealedCell("orleans_storage.payload", row.Describe(), payload, EncryptingGrainStorageSerializer.Context,
                (resealed, ct) => WriteBack(row, payload, resealed, ct)));
            cursor = row;
        }
        return cells;
    }

    private async Task<bool> WriteBack(GrainRow row, byte[] old, byte[] resealed, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(WriteBackSql);
        AddKey(command, row);
        command.Parameters.AddWithValue("version", row.Version);
        command.Parameters.AddWithValue("old", old);
        command.Parameters.AddWithValue("payload", resealed);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    private static void AddKey(NpgsqlCommand command, GrainRow row)
    {
        command.Parameters.AddWithValue("hash", row.IdHash);
        command.Parameters.AddWithValue("type_hash", row.TypeHash);
        command.Parameters.AddWithValue("service", row.ServiceId);
        command.Parameters.AddWithValue("type", row.GrainType);
        command.Parameters.AddWithValue("n0", row.N0);
        command.Parameters.AddWithValue("n1", row.N1);
        // Typed, so "@extension IS NOT NULL" is valid SQL when the value is NULL.
        command.Parameters.Add(new NpgsqlParameter("extension", NpgsqlDbType.Text) { Value = (object?)row.Extension ?? DBNull.Value });
    }

    private sealed record GrainRow(int IdHash, int TypeHash, string ServiceId, string GrainType, long N0, long N1, string? Extension, int Version)
    {
        public string Describe() => Extension is null ? $"{GrainType} {N0}/{N1} (service {ServiceId})" : $"{GrainType} {Extension} (service {ServiceId})";
    }
}
