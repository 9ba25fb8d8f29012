using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using ChatCluster.Conversations;
using ChatCluster.Grains.Mail;
using ChatCluster.Integration.Tests.Drills;
using ChatCluster.Silo.Hosting.Database;
using ChatCluster.Silo.Hosting.Encryption;
using ChatCluster.Silo.Hosting.Encryption.Reencryption;
using ChatCluster.Silo.Hosting.Mail;
using Npgsql;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>
/// The re-encryption pass on a database of its own, without a silo: rows are written as the silo writes them
/// (<see cref="PostgresConversationLog"/>, sealed <c>orleans_storage</c> payloads), so each test can interfere
/// exactly where it wants to.
/// </summary>
public sealed class ReencryptionPassTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private const string Conversation = "acme/c_aaaaaaaaaa";
    private static readonly byte[] KeyZero = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] KeyOne = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] KeyTwo = RandomNumberGenerator.GetBytes(32);

    private static PersonalDataCipher Ring(string active, params (string Id, byte[] Key)[] keys) =>
        new(keys.ToDictionary(k => k.Id, k => k.Key), active);

    private static PersonalDataCipher OnlyK1 => Ring("k1", ("k1", KeyOne));
    private static PersonalDataCipher Rotated => Ring("k2", ("k1", KeyOne), ("k2", KeyTwo));
    private static PersonalDataCipher OnlyK2 => Ring("k2", ("k2", KeyTwo));

    [Fact]
    public async Task A_dry_run_counts_values_per_key_and_writes_nothing()
    {
        var connectionString = await SeededUnderK1();
        var before = await Dump(connectionString);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        var report = await new ReencryptionPass(dataSource, Rotated, TextWriter.Null).Run(dryRun: true, batchSize: 2);

        Assert.Equal(before, await Dump(connectionString));
        Assert.Equal(SealedSeeded, report.Resealed);
        Assert.Equal(SealedSeeded, report.Remaining["k1"]);
        Assert.Equal(0, report.Remaining["k2"]);
        Assert.Equal(1, report.NotSealed); // the PubSubStore row, which is not encrypted
        Assert.False(report.Complete);
        Assert.Contains(report.Summary(), line => line.Contains("run without --dry-run"));
    }

    [Fact]
    public async Task Run_twice_the_second_pass_changes_nothing_and_only_the_new_key_is_needed_to_read()
    {
        var connectionString = await SeededUnderK1();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        var first = await new ReencryptionPass(dataSource, Rotated, TextWriter.Null).Run(batchSize: 2);
        Assert.Equal(SealedSeeded, first.Resealed);
        Assert.Equal(0, first.Remaining["k1"]);
        Assert.Equal(SealedSeeded, first.Remaining["k2"]);
        Assert.True(first.Complete);

        var afterFirst = await Dump(connectionString);
        var second = await new ReencryptionPass(dataSource, Rotated, TextWriter.Null).Run(batchSize: 2);
        Assert.Equal(0, second.Resealed);
        Assert.Equal(afterFirst, await Dump(connectionString));

        await AssertReadableWithOnlyK2(connectionString);
    }

    [Fact]
    public async Task Mail_kept_in_the_outbox_is_resealed_too_so_no_row_is_left_under_the_retired_key()
    {
        var connectionString = await SeededUnderK1();
        await using (var outbox = new PostgresOutbox(NpgsqlDataSource.Create(connectionString), OnlyK1, new MailOptions(), TimeProvider.System))
        {
            await outbox.Send(new OutgoingMail("acme", "c_aaaaaaaaaa", "philippa@mailbox-privacy.test", "Philippa Quennell", "Your chat transcript",
                "[10:00] Philippa Quennell: hello, my parcel is ZX-1"));
            await outbox.Send(new OutgoingMail("acme", "c_aaaaaaaaaa", "philippa@mailbox-privacy.test", "Philippa Quennell", "Your chat transcript",
                "[10:05] Philippa Quennell: thanks"));
            await outbox.Send(new OutgoingMail("acme", "e_bbbbbbbbbb", "philippa@mailbox-privacy.test", null, "Your code", "Your code is 493817."));
        }
        Assert.Equal(["k1", "k1", "k1"], await OutboxKeyIds(connectionString));
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        var dry = await new ReencryptionPass(dataSource, Rotated, TextWriter.Null).Run(dryRun: true, batchSize: 2);
        Assert.Equal(SealedSeeded + 3, dry.Remaining["k1"]);
        var report = await new ReencryptionPass(dataSource, Rotated, TextWriter.Null).Run(batchSize: 2);

        Assert.True(report.Complete, string.Join("\n", report.Summary()));
        Assert.Equal(SealedSeeded + 3, report.Resealed);
        Assert.Equal(0, report.Remaining["k1"]);
        Assert.Equal(["k2", "k2", "k2"], await OutboxKeyIds(connectionString));
        var transcripts = await StoreSearch.OutboxMail(connectionString, OnlyK2, "acme", "c_aaaaaaaaaa");
        Assert.Equal(2, transcripts.Count);
        Assert.Contains(transcripts, m => m.Contains("hello, my parcel is ZX-1") && m.Contains("philippa@mailbox-privacy.test"));
        Assert.Contains("Your code is 493817.", Assert.Single(await StoreSearch.OutboxMail(connectionString, OnlyK2, "acme", "e_bbbbbbbbbb")));
    }

    /// <summary>The key id of every kept mail, read from its sealed header.</summary>
    private static async Task<List<string>> OutboxKeyIds(string connectionString)
    {
        var ids = new List<string>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT message FROM mail_outbox ORDER BY tenant_id, subject_id, mail_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(PersonalDataCipher.KeyIdOf(reader.GetFieldValue<byte[]>(0)));
        return ids;
    }

    [Fact]
    public async Task A_grain_write_between_read_and_write_back_wins_and_the_next_run_finishes_the_job()
    {
        var connectionString = await SeededUnderK1();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var grainWrite = Rotated.Seal("state written by a live grain"u8, EncryptingGrainStorageSerializer.Context);
        var interfered = new HashSet<string>();
        var tables = ReencryptionPass.SealedTables(dataSource).Select(table => (ISealedTable)new Interfering(table, async () =>
        {
            if (!interfered.Add(table.Name)) return;
            if (table.Name == "orleans_storage")
            {
                // As AdoNet grain storage writes: a new payload and version + 1.
                await Execute(connectionString, "UPDATE orleans_storage SET payload = @p, version = version + 1 WHERE grain_id_extension = @k",
                    ("p", grainWrite), ("k", "acme/v_aaaaaaaaaa"));
            }
            else
            {
                // Retention deletes a message the pass has just read.
                await Execute(connectionString, "DELETE FROM conversation_messages WHERE seq = 2");
            }
        })).ToList();

        var first = await new ReencryptionPass(dataSource, Rotated, TextWriter.Null).Run(tables, dryRun: false, batchSize: 10);

        Assert.Equal(2, first.ChangedMeanwhile); // the grain's state and the deleted message's body
        Assert.Equal(SealedSeeded - 2, first.Resealed);
        Assert.False(first.Complete, "a value changed meanwhile is counted under its old key until a run sees it again");
        Assert.Equal(grainWrite, await Sql.ScalarAsync<byte[]>(connectionString,
            "SELECT payload FROM orleans_storage WHERE grain_id_extension = 'acme/v_aaaaaaaaaa'"));
        Assert.Equal(2, await Sql.ScalarAsync<int>(connectionString,
            "SELECT version FROM orleans_storage WHERE grain_id_extension = 'acme/v_aaaaaaaaaa'"));

        var second = await new ReencryptionPass(dataSource, Rotated, TextWriter.Null).Run(batchSize: 10);
        Assert.Equal(0, second.Resealed);
        Assert.Equal(0, second.ChangedMeanwhile);
        Assert.True(second.Complete, string.Join("\n", second.Summary()));
        Assert.Equal(0, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM conversation_messages WHERE seq = 2"));
    }

    [Fact]
    public async Task A_value_under_a_key_missing_from_the_ring_is_reported_by_location_and_the_pass_goes_on()
    {
        var connectionString = await SeededUnderK1();
        var lost = Ring("k0", ("k0", KeyZero)).SealText("sealed before k0 was dropped", PostgresConversationLog.Context(Conversation, 3, "body"));
        await Execute(connectionString, "UPDATE conversation_messages SET body = @b WHERE seq = 3", ("b", lost));
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        var report = await new ReencryptionPass(dataSource, Rotated, TextWriter.Null).Run(batchSize: 2);

        Assert.Equal(1, report.UnknownKey);
        Assert.Equal(1, report.Remaining["k0"]);
        Assert.Equal(0, report.Remaining["k1"]);
        Assert.Equal(SealedSeeded - 1, report.Resealed);
        Assert.False(report.Complete);
        var summary = string.Join("\n", report.Summary());
        Assert.Contains($"conversation_messages.body {Conversation} #3: sealed under key 'k0', which is not in ChatCluster:Encryption:Keys", summary);
        Assert.Contains("key k0 (NOT IN THE RING): 1 values", summary);
        Assert.Equal(lost, await Sql.ScalarAsync<byte[]>(connectionString, "SELECT body FROM conversation_messages WHERE seq = 3"));
    }

    [Fact]
    public async Task The_silo_command_reencrypt_retires_the_old_key_and_says_so_per_key()
    {
        var connectionString = await SeededUnderK1();

        var (dryCode, dryOutput) = await RunSiloCommand(connectionString, "reencrypt", "--dry-run");
        Assert.True(dryCode == 2, dryOutput);
        Assert.Contains($"key k1 (retiring): {SealedSeeded} values", dryOutput);

        var (code, output) = await RunSiloCommand(connectionString, "reencrypt", "--batch-size", "2");
        Assert.True(code == 0, output);
        Assert.Contains("orleans_storage: batch 3", output);
        Assert.Contains("key k1 (retiring): 0 values", output);
        Assert.Contains("k1 may now be removed from ChatCluster:Encryption:Keys", output);
        await AssertReadableWithOnlyK2(connectionString);

        var (againCode, again) = await RunSiloCommand(connectionString, "reencrypt");
        Assert.True(againCode == 0, again);
        Assert.Contains("0 re-sealed", again);
    }

    [Theory]
    [InlineData("--batch-size", "0")]
    [InlineData("--batch-size", "lots")]
    [InlineData("--batch-size")]
    [InlineData("--everything")]
    public async Task Bad_arguments_change_nothing_and_say_how_to_call_the_command(params string[] arguments)
    {
        var connectionString = await SeededUnderK1();

        var (code, output) = await RunSiloCommand(connectionString, ["reencrypt", .. arguments]);

        Assert.True(code == 1, output);
        Assert.Contains("usage: reencrypt [--dry-run] [--batch-size 1..", output);
        var (dryCode, dry) = await RunSiloCommand(connectionString, "reencrypt", "--dry-run");
        Assert.True(dryCode == 2, dry);
        Assert.Contains($"key k1 (retiring): {SealedSeeded} values", dry); // nothing was re-sealed
    }

    /// <summary>Sealed values <see cref="SeededUnderK1"/> writes: 4 grain payloads, 3 bodies and 2 sender names.</summary>
    private const long SealedSeeded = 9;

    /// <summary>A migrated database with grain state and a conversation log written under k1 only.</summary>
    private async Task<string> SeededUnderK1()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        await new DatabaseMigrator().MigrateAsync(connectionString);
        var k1 = OnlyK1;
        await using (var log = new PostgresConversationLog(NpgsqlDataSource.Create(connectionString), k1))
        {
            var visitor = new Participant(ParticipantKind.Visitor, "v_aaaaaaaaaa", "Philippa Quennell");
            var agent = new Participant(ParticipantKind.Agent, "a_aaaaaaaa", null);
            var at = DateTimeOffset.UtcNow;
            await log.Append(Conversation, new ChatMessage(1, "m-1", visitor, "hello, my parcel is ZX-1", at));
            await log.Append(Conversation, new ChatMessage(2, "m-2", agent, "let me look", at));
            await log.Append(Conversation, new ChatMessage(3, "m-3", visitor, "thanks", at));
        }
        // Same hash and type for two rows, one of them without key extension, so the keyset walk must order NULL last.
        await InsertGrainState(connectionString, 7, "visitor", "acme/v_aaaaaaaaaa", k1.SealText("visitor state", EncryptingGrainStorageSerializer.Context));
        await InsertGrainState(connectionString, 7, "visitor", null, k1.SealText("keyless state", EncryptingGrainStorageSerializer.Context));
        await InsertGrainState(connectionString, 7, "visitor", "acme/v_bbbbbbbbbb", k1.SealText("other visitor", EncryptingGrainStorageSerializer.Context));
        await InsertGrainState(connectionString, 9, "conversation", Conversation, k1.SealText("conversation state", EncryptingGrainStorageSerializer.Context));
        await InsertGrainState(connectionString, 11, "pubsubrendezvous", "stream", "{\"not\":\"sealed\"}"u8.ToArray());
        return connectionString;
    }

    private static Task InsertGrainState(string connectionString, int hash, string type, string? extension, byte[] payload) =>
        Execute(connectionString, """
            INSERT INTO orleans_storage (service_id, grain_type_hash, grain_type, grain_id_hash, grain_id_n0, grain_id_n1, grain_id_extension, version, payload)
            VALUES ('svc', 1, @type, @hash, 0, 0, @extension, 1, @payload)
            """, ("type", type), ("hash", hash), ("extension", (object?)extension ?? DBNull.Value), ("payload", payload));

    private static async Task AssertReadableWithOnlyK2(string connectionString)
    {
        var k2 = OnlyK2;
        await using (var log = new PostgresConversationLog(NpgsqlDataSource.Create(connectionString), k2))
        {
            var messages = await log.ReadAll(Conversation);
            Assert.Equal(["hello, my parcel is ZX-1", "let me look", "thanks"], messages.Select(m => m.Text));
            Assert.Equal("Philippa Quennell", messages[0].Sender.DisplayName);
        }
        var payload = await Sql.ScalarAsync<byte[]>(connectionString, "SELECT payload FROM orleans_storage WHERE grain_id_extension = 'acme/v_aaaaaaaaaa'");
        Assert.Equal("visitor state", k2.OpenText(payload, EncryptingGrainStorageSerializer.Context));
        var keyless = await Sql.ScalarAsync<byte[]>(connectionString, "SELECT payload FROM orleans_storage WHERE grain_id_extension IS NULL");
        Assert.Equal("keyless state", k2.OpenText(keyless, EncryptingGrainStorageSerializer.Context));
    }

    /// <summary>Every stored byte of both tables, to show that a run wrote nothing.</summary>
    private static async Task<string> Dump(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT string_agg(encode(payload, 'hex') || ':' || version, ',' ORDER BY grain_id_hash, grain_id_extension) FROM orleans_storage
            UNION ALL
            SELECT string_agg(encode(body, 'hex') || ':' || coalesce(encode(sender_name, 'hex'), ''), ',' ORDER BY seq) FROM conversation_messages
            """, connection);
        var dump = new StringBuilder();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) dump.AppendLine(reader.IsDBNull(0) ? "" : reader.GetString(0));
        return dump.ToString();
    }

    private static async Task Execute(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The built standalone silo run as an operator runs a command: arguments, and configuration in the environment.</summary>
    private static async Task<(int ExitCode, string Output)> RunSiloCommand(string connectionString, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(SiloProcess.Dll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ChatCluster__Postgres__ConnectionString"] = connectionString;
        start.Environment["ChatCluster__Encryption__Keys__k1"] = Convert.ToBase64String(KeyOne);
        start.Environment["ChatCluster__Encryption__Keys__k2"] = Convert.ToBase64String(KeyTwo);
        start.Environment["ChatCluster__Encryption__ActiveKeyId"] = "k2";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the silo command.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>A table that lets a test act between the pass reading a batch and writing it back.</summary>
    private sealed class Interfering(ISealedTable inner, Func<Task> afterRead) : ISealedTable
    {
        public string Name => inner.Name;

        public async Task<IReadOnlyList<SealedCell>> NextBatch(int batchSize, CancellationToken cancellationToken)
        {
            var cells = await inner.NextBatch(batchSize, cancellationToken);
            if (cells.Count > 0) await afterRead();
            return cells;
        }
    }
}
