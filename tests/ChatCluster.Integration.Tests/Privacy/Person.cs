using System.Net;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Tests;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>
/// A visitor whose every personal detail is a string found nowhere else, so a search of the stores for it
/// can only hit this person's data: name, email, IP address, user agent, page URL and message text.
/// </summary>
public sealed record Person(string Name, string Email, IPAddress Ip, string UserAgent, string PageUrl, string Text)
{
    private static int next = 10;

    public static Person Unique()
    {
        var n = Interlocked.Increment(ref next);
        var tag = Guid.NewGuid().ToString("N")[..6];
        return new Person(
            $"Philippa Quennell{tag}",
            $"philippa.{tag}@mailbox-privacy.test",
            IPAddress.Parse($"127.0.{n / 250}.{n % 250 + 2}"),
            $"PrivacyProbeBrowser/{tag}",
            $"https://shop.example/orders/{tag}",
            $"my parcel number is ZX-{tag}-QQ");
    }

    /// <summary>Everything a search must not find after expiry or erasure.</summary>
    public IReadOnlyList<string> Needles => [Name, Email, Ip.ToString(), UserAgent, PageUrl, Text];

    /// <summary>Connects from this person's IP, says hello, starts a conversation with name and email, sends one message.</summary>
    public async Task<(ChatClient Socket, string VisitorId, string ConversationId)> Chat(PrivacyStoreFixture stores, string siteKey)
    {
        var socket = await stores.ConnectVisitor(Ip, UserAgent);
        await socket.Send(new { type = "hello", id = "h1", role = "visitor", siteKey, pageUrl = PageUrl });
        var welcome = await socket.Next("welcome");
        var conversationId = await socket.StartConversation(Name, Email);
        await socket.SendMessage(conversationId, "m-1", Text);
        return (socket, (string)welcome["visitorId"]!, conversationId);
    }
}

internal static class StoreChecks
{
    /// <summary>Every hit of <paramref name="person"/>'s data in PostgreSQL, Redis and the outbox folder.</summary>
    public static async Task<List<string>> Everywhere(PrivacyStoreFixture stores, Person person) =>
    [
        .. await StoreSearch.InPostgres(stores.ConnectionString, person.Needles, stores.Cipher()),
        .. await StoreSearch.InRedis(stores.Redis.ConnectionString, person.Needles),
        .. await StoreSearch.InFiles(stores.OutboxPath, person.Needles),
    ];

    public static async Task NothingLeft(PrivacyStoreFixture stores, Person person, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var hits = await Everywhere(stores, person);
            if (hits.Count == 0) return;
            if (DateTime.UtcNow > deadline) Assert.Fail("Personal data is still stored: " + string.Join("; ", hits));
            await Task.Delay(250);
        }
    }

    public static async Task<JsonNode> Totals(PrivacyStoreFixture stores, string ownerToken) =>
        (await stores.Json(HttpMethod.Get, "/api/stats", ownerToken))["totals"]!;
}
