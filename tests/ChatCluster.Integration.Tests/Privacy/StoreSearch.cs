using System.Text;
using ChatCluster.Silo.Hosting.Database;
using ChatCluster.Silo.Hosting.Encryption;
using ChatCluster.Silo.Hosting.Mail;
using Npgsql;
using StackExchange.Redis;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>
/// Looks for personal data where it could hide: every column of every table in the database, every key
/// of a Redis server, every file under a folder. Values are compared as text and, for bytes, as UTF-8 and
/// UTF-16 byte sequences, so a string inside a serialized grain state is found too. Each hit names where it
/// was ("orleans_storage.payload", "redis chatcluster:presence:…", "file …") so a failure says what leaked.
/// Given the key ring, sealed values (S1) are opened and searched too: encryption must not make a deletion
/// check pass by hiding what is still there.
/// </summary>
public static class StoreSearch
{
    public static async Task<List<string>> InPostgres(string connectionString, IReadOnlyCollection<string> needles, PersonalDataCipher? cipher = null)
    {
        var hits = new List<string>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<(string Schema, string Table)>();
        await using (var list = new NpgsqlCommand(
            "SELECT table_schema, table_name FROM information_schema.tables " +
            "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) tables.Add((reader.GetString(0), reader.GetString(1)));
        }

        foreach (var (schema, table) in tables)
        {
            await using var select = new NpgsqlCommand($"SELECT * FROM \"{schema}\".\"{table}\"", connection);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    if (reader.IsDBNull(i)) continue;
                    var where = $"{table}.{reader.GetName(i)}";
                    var value = reader.GetValue(i);
                    foreach (var needle in needles.Where(n => Contains(value, n))) hits.Add($"{where} holds '{needle}'");
                    if (cipher is null || value is not byte[] bytes || !PersonalDataCipher.IsSealed(bytes)) continue;
                    var opened = cipher.Open(bytes, table switch
                    {
                        "conversation_messages" => PostgresConversationLog.Context($"{reader["tenant_id"]}/{reader["conversation_id"]}", (long)reader["seq"], reader.GetName(i)),
                        "mail_outbox" => PostgresOutbox.Context((string)reader["tenant_id"], (string)reader["subject_id"], (Guid)reader["mail_id"]),
                        _ => EncryptingGrainStorageSerializer.Context,
                    });
                    foreach (var needle in needles.Where(n => Contains(opened, n))) hits.Add($"{where} (decrypted) holds '{needle}'");
                }
            }
        }
        return hits;
    }

    /// <summary>The mail kept in the database outbox under the tenant and subject (R6, S1), opened with the key ring, oldest first.</summary>
    public static async Task<List<string>> OutboxMail(string connectionString, PersonalDataCipher cipher, string tenantId, string subjectId)
    {
        var mails = new List<string>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand(
            "SELECT mail_id, message FROM mail_outbox WHERE tenant_id = @t AND subject_id = @s ORDER BY created_at", connection);
        select.Parameters.AddWithValue("t", tenantId);
        select.Parameters.AddWithValue("s", subjectId);
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var message = (byte[])reader["message"];
            Assert.True(PersonalDataCipher.IsSealed(message), "A mail is stored in the clear.");
            mails.Add(Encoding.UTF8.GetString(cipher.Open(message, PostgresOutbox.Context(tenantId, subjectId, reader.GetGuid(0)))));
        }
        return mails;
    }

    public static async Task<List<string>> InRedis(string connectionString, IReadOnlyCollection<string> needles)
    {
        var hits = new List<string>();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString + ",allowAdmin=true");
        var server = redis.GetServers().Single();
        var db = redis.GetDatabase();
        await foreach (var key in server.KeysAsync(pattern: "*", pageSize: 500))
        {
            var values = new List<string> { key.ToString() };
            switch (await db.KeyTypeAsync(key))
            {
                case RedisType.String: values.Add((await db.StringGetAsync(key)).ToString()); break;
                case RedisType.Hash: values.AddRange((await db.HashGetAllAsync(key)).SelectMany(e => new[] { e.Name.ToString(), e.Value.ToString() })); break;
                case RedisType.Set: values.AddRange((await db.SetMembersAsync(key)).Select(v => v.ToString())); break;
                case RedisType.SortedSet: values.AddRange((await db.SortedSetRangeByRankAsync(key)).Select(v => v.ToString())); break;
                case RedisType.List: values.AddRange((await db.ListRangeAsync(key)).Select(v => v.ToString())); break;
                default: values.Add("(unreadable type)"); break;
            }
            foreach (var needle in needles.Where(n => values.Any(v => v.Contains(n, StringComparison.OrdinalIgnoreCase))))
                hits.Add($"redis key {key} holds '{needle}'");
        }
        return hits;
    }

    public static async Task<List<string>> InFiles(string folder, IReadOnlyCollection<string> needles)
    {
        var hits = new List<string>();
        if (!Directory.Exists(folder)) return hits;
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            foreach (var needle in needles.Where(n => Contains(bytes, n))) hits.Add($"file {file} holds '{needle}'");
        }
        return hits;
    }

    private static bool Contains(object value, string needle) => value switch
    {
        byte[] bytes => Contains(bytes, needle),
        string text => text.Contains(needle, StringComparison.OrdinalIgnoreCase),
        _ => (Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "").Contains(needle, StringComparison.OrdinalIgnoreCase),
    };

    /// <summary>UTF-8 and UTF-16 forms, as written and lower-cased (a serializer may normalise an email).</summary>
    private static bool Contains(byte[] bytes, string needle) =>
        new[] { needle, needle.ToLowerInvariant() }.Distinct()
            .SelectMany(n => new[] { Encoding.UTF8.GetBytes(n), Encoding.Unicode.GetBytes(n) })
            .Any(pattern => bytes.AsSpan().IndexOf(pattern) >= 0);
}
