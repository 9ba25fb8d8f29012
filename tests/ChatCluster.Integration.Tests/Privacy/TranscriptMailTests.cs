using ChatCluster.Integration.Tests.ClusterMode;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>W5, R5, R6 with the outbox folder: a transcript is mailed only to a visitor who gave an email, and dies with the person.</summary>
public sealed class TranscriptMailTests(PrivacyStoreFixture stores) : IClassFixture<PrivacyStoreFixture>
{
    [Fact]
    public async Task Closing_a_chat_mails_the_transcript_to_the_email_given_and_erasure_deletes_the_mail()
    {
        var (tenantId, siteKey, owner) = await stores.NewTenant();
        var person = Person.Unique();
        var (socket, visitorId, conversationId) = await person.Chat(stores, siteKey);
        await socket.Send(new { type = "close", id = "c1", conversationId });
        await socket.DisposeAsync();

        await Wait.Until(async () => (await stores.OutboxMail(tenantId, conversationId)).Count > 0, "the transcript in the outbox");
        var mail = Assert.Single(await stores.OutboxMail(tenantId, conversationId));
        Assert.Contains($"To: {person.Name.Split(' ')[0]}", mail);
        Assert.Contains(person.Email, mail);
        Assert.Contains(person.Text, mail);
        Assert.Contains("Subject: Your chat transcript", mail);
        Assert.False(Directory.Exists(stores.OutboxPath)); // S1: nothing written to disk in the clear

        await stores.Json(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId });
        Assert.Empty(await stores.OutboxMail(tenantId, conversationId));
        await StoreChecks.NothingLeft(stores, person, within: TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Without_an_email_closing_a_chat_sends_nothing()
    {
        var (tenantId, siteKey, _) = await stores.NewTenant();
        await using var socket = await stores.ConnectVisitor(System.Net.IPAddress.Loopback, "NoEmail/1.0");
        await socket.HelloVisitor(siteKey);
        var conversationId = await socket.StartConversation(name: "Anonymous Al");
        await socket.SendMessage(conversationId, "m-1", "no email given");
        await socket.Send(new { type = "close", id = "c1", conversationId });
        await Wait.For(socket, "conversation", f => (string?)f["conversation"]?["status"] == "closed");

        await Task.Delay(500);
        Assert.Equal(0, await Sql.ScalarAsync<long>(stores.ConnectionString, "SELECT count(*) FROM mail_outbox WHERE tenant_id = @t", ("t", tenantId)));
    }
}

/// <summary>Expiry takes the transcript mail with the rest (R1).</summary>
public sealed class TranscriptExpiryTests(PrivacyStoreFixture stores) : IClassFixture<PrivacyStoreFixture>
{
    [Fact]
    public async Task An_expired_conversation_takes_its_transcript_mail_with_it()
    {
        var (tenantId, siteKey, owner) = await stores.NewTenant();
        await stores.Json(HttpMethod.Put, "/api/settings/retention", owner, new { period = "00:00:06" });
        var person = Person.Unique();
        var (socket, _, conversationId) = await person.Chat(stores, siteKey);
        await socket.Send(new { type = "close", id = "c1", conversationId });
        await socket.DisposeAsync();
        await Wait.Until(async () => (await stores.OutboxMail(tenantId, conversationId)).Count > 0, "the transcript in the outbox");

        await StoreChecks.NothingLeft(stores, person, within: TimeSpan.FromSeconds(45));
        Assert.Empty(await stores.OutboxMail(tenantId, conversationId));
    }
}
