using ChatCluster.Integration.Tests.ClusterMode;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>The stores of <see cref="PrivacyStoreFixture"/> with transcripts retried every 5 s, so a retry can straddle a silo restart.</summary>
public sealed class QuickTranscriptRetryStores : PrivacyStoreFixture
{
    protected override Dictionary<string, string?> SiloSettings()
    {
        var settings = base.SiloSettings();
        settings["ChatCluster:Mail:Retry:FirstDelay"] = "00:00:05";
        settings["ChatCluster:Mail:Retry:MaximumDelay"] = "00:00:05";
        settings["ChatCluster:Mail:Retry:GiveUpAfter"] = "00:02:00";
        return settings;
    }
}

/// <summary>W5 over the real stores: a transcript owed after a transient failure survives a silo restart (state and reminder in PostgreSQL).</summary>
public sealed class TranscriptRetryStoreTests(QuickTranscriptRetryStores stores) : IClassFixture<QuickTranscriptRetryStores>
{
    [Fact]
    public async Task A_transcript_that_failed_before_a_silo_restart_is_mailed_once_by_the_restarted_silo()
    {
        var (tenantId, siteKey, owner) = await stores.NewTenant();
        // The outbox table out of reach: keeping the transcript fails, as with a database that refuses the write.
        await Sql.ExecuteAsync(stores.ConnectionString, "ALTER TABLE mail_outbox RENAME TO mail_outbox_away");
        var person = Person.Unique();
        var (socket, visitorId, conversationId) = await person.Chat(stores, siteKey);
        await socket.Send(new { type = "close", id = "c1", conversationId });
        await Wait.For(socket, "conversation", f => (string?)f["conversation"]?["status"] == "closed");
        await socket.DisposeAsync();
        Assert.Equal(1, await RetryReminders(conversationId));

        await stores.RestartSilo(); // the old silo is gone before the outbox is writable again
        await Sql.ExecuteAsync(stores.ConnectionString, "ALTER TABLE mail_outbox_away RENAME TO mail_outbox");

        await Wait.Until(async () => (await stores.OutboxMail(tenantId, conversationId)).Count > 0,
            "the retried transcript in the outbox", TimeSpan.FromSeconds(30));
        await Wait.Until(async () => await RetryReminders(conversationId) == 0, "the transcript-retry reminder to be unregistered", TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(6)); // past one more retry period: a second copy would be there by now
        var mail = Assert.Single(await stores.OutboxMail(tenantId, conversationId));
        Assert.Contains(person.Text, mail);
        Assert.Contains(person.Email, mail);

        await stores.Json(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId });
        await StoreChecks.NothingLeft(stores, person, within: TimeSpan.FromSeconds(10));
    }

    private Task<long> RetryReminders(string conversationId) => Sql.ScalarAsync<long>(stores.ConnectionString,
        "SELECT count(*) FROM orleans_reminders WHERE reminder_name = 'transcript-retry' AND grain_id LIKE @c", ("c", $"%{conversationId}%"));
}
