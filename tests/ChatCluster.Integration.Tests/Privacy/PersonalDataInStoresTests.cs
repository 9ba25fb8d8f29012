using ChatCluster.Integration.Tests.ClusterMode;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>
/// R1, R2, R4, R5 against the real stores: after expiry and after erasure, no table column, no Redis key and
/// no outbox file holds the person's name, email, IP address, user agent, page URL or message text,
/// while the day statistics still count the conversation.
/// </summary>
public sealed class PersonalDataInStoresTests(PrivacyStoreFixture stores) : IClassFixture<PrivacyStoreFixture>
{
    [Fact]
    public async Task The_search_finds_text_and_bytes_in_any_table()
    {
        await Sql.ExecuteAsync(stores.ConnectionString,
            "CREATE TABLE IF NOT EXISTS search_probe (t text, b bytea); " +
            "INSERT INTO search_probe VALUES ('needle-in-text', convert_to('x needle-in-bytes y', 'UTF8'))");
        try
        {
            var hits = await StoreSearch.InPostgres(stores.ConnectionString, ["needle-in-text", "needle-in-bytes"]);
            Assert.Contains("search_probe.t holds 'needle-in-text'", hits);
            Assert.Contains("search_probe.b holds 'needle-in-bytes'", hits);
        }
        finally
        {
            await Sql.ExecuteAsync(stores.ConnectionString, "DROP TABLE search_probe");
        }
    }

    [Fact]
    public async Task With_the_key_the_search_finds_a_persons_data_while_it_is_held()
    {
        var (_, siteKey, _) = await stores.NewTenant();
        var person = Person.Unique();
        var (socket, _, _) = await person.Chat(stores, siteKey);
        await using var _ = socket;

        var hits = await StoreChecks.Everywhere(stores, person);
        Assert.Contains($"conversation_messages.body (decrypted) holds '{person.Text}'", hits);
        Assert.Contains($"orleans_storage.payload (decrypted) holds '{person.Email}'", hits);
        Assert.Contains($"orleans_storage.payload (decrypted) holds '{person.Ip}'", hits);
        Assert.Contains($"orleans_storage.payload (decrypted) holds '{person.UserAgent}'", hits);
    }

    [Fact]
    public async Task After_expiry_no_table_key_or_file_holds_the_person_and_the_statistics_still_count_the_conversation()
    {
        var (_, siteKey, owner) = await stores.NewTenant();
        await stores.Json(HttpMethod.Put, "/api/settings/retention", owner, new { period = "00:00:06" });
        var person = Person.Unique();
        var (socket, _, _) = await person.Chat(stores, siteKey);
        await socket.DisposeAsync(); // offline: the visitor's presence entry leaves Redis

        await StoreChecks.NothingLeft(stores, person, within: TimeSpan.FromSeconds(45));

        await Wait.Until(async () => (long)(await StoreChecks.Totals(stores, owner))["expired"]! == 1, "the expiry to be counted");
        var totals = await StoreChecks.Totals(stores, owner);
        Assert.Equal(1, (long)totals["conversationsStarted"]!);
        Assert.Equal(1, (long)totals["visitorMessages"]!);
    }

    [Fact]
    public async Task After_erasure_no_table_key_or_file_holds_the_person_and_the_statistics_still_count_the_conversation()
    {
        var (_, siteKey, owner) = await stores.NewTenant();
        var person = Person.Unique();
        var (socket, visitorId, _) = await person.Chat(stores, siteKey);
        await socket.DisposeAsync();

        var report = await stores.Json(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId });
        Assert.Equal(1, (int)report["conversationsErased"]!);

        // The grains' own rows are gone when erasure answers; the inbox projection and Redis follow within moments.
        await StoreChecks.NothingLeft(stores, person, within: TimeSpan.FromSeconds(10));
        var totals = await StoreChecks.Totals(stores, owner);
        Assert.Equal(1, (long)totals["conversationsStarted"]!);
        Assert.Equal(1, (long)totals["erased"]!);
    }

    /// <summary>R4: a hold keeps every copy past its deadline; lifting it deletes them at once.</summary>
    [Fact]
    public async Task A_tenant_hold_keeps_the_data_past_its_deadline_and_lifting_it_deletes_it_from_every_store()
    {
        var (_, siteKey, owner) = await stores.NewTenant();
        await stores.Json(HttpMethod.Put, "/api/settings/retention", owner, new { period = "00:00:03" });
        await stores.Json(HttpMethod.Put, "/api/privacy/holds/tenant", owner, new { reason = "Litigation hold, case 2026-117" });
        var person = Person.Unique();
        var (socket, _, _) = await person.Chat(stores, siteKey);
        await socket.DisposeAsync();

        // Deadline 3 s, checks every second: by now the data would be gone without the hold.
        await Task.Delay(TimeSpan.FromSeconds(8));
        var held = await StoreChecks.Everywhere(stores, person);
        Assert.Contains($"conversation_messages.body (decrypted) holds '{person.Text}'", held);
        Assert.Contains($"orleans_storage.payload (decrypted) holds '{person.Ip}'", held);
        Assert.Equal(0L, (long)(await StoreChecks.Totals(stores, owner))["expired"]!);

        await stores.Json(HttpMethod.Delete, "/api/privacy/holds/tenant", owner);

        await StoreChecks.NothingLeft(stores, person, within: TimeSpan.FromSeconds(20));
        await Wait.Until(async () => (long)(await StoreChecks.Totals(stores, owner))["expired"]! == 1, "the expiry to be counted");
    }
}

/// <summary>R1: retention is durable. The silo that registered the reminders stops; a new one deletes on time.</summary>
public sealed class RetentionAcrossSiloRestartTests(PrivacyStoreFixture stores) : IClassFixture<PrivacyStoreFixture>
{
    [Fact]
    public async Task Data_registered_before_a_silo_restart_is_deleted_after_it_by_the_reminder_in_orleans_reminders()
    {
        var (_, siteKey, owner) = await stores.NewTenant();
        await stores.Json(HttpMethod.Put, "/api/settings/retention", owner, new { period = "00:00:20" });
        var person = Person.Unique();
        var (socket, _, conversationId) = await person.Chat(stores, siteKey);
        await socket.DisposeAsync();
        var reminders = await Sql.ScalarAsync<long>(stores.ConnectionString,
            "SELECT count(*) FROM orleans_reminders WHERE reminder_name = 'retention-check' AND grain_id LIKE @c",
            ("c", $"%{conversationId}%"));
        Assert.Equal(1, reminders);

        await stores.RestartSilo();
        Assert.Equal(1, await Sql.ScalarAsync<long>(stores.ConnectionString,
            "SELECT count(*) FROM conversation_messages WHERE conversation_id = @c", ("c", conversationId))); // not due yet

        await StoreChecks.NothingLeft(stores, person, within: TimeSpan.FromSeconds(60));
        // A holder unregisters its reminder right after deleting its data: give that last step a moment.
        await Wait.Until(async () => await Sql.ScalarAsync<long>(stores.ConnectionString,
            "SELECT count(*) FROM orleans_reminders WHERE reminder_name = 'retention-check'") == 0,
            "the retention reminders to be unregistered", TimeSpan.FromSeconds(15));
        await Wait.Until(async () =>
        {
            try
            {
                return (long)(await StoreChecks.Totals(stores, owner))["expired"]! == 1;
            }
            catch (HttpRequestException)
            {
                return false; // the gateway is still finding the new silo
            }
        }, "the expiry to be counted", TimeSpan.FromSeconds(60));
    }
}
