using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Silo.Hosting.Encryption;
using ChatCluster.Silo.Hosting.Mail;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Gateway.Tests;

/// <summary>
/// Tight transcript limits and an outbox folder of its own: 2 transcripts a day per address, 3 per visitor, 4 per
/// tenant.
/// </summary>
public sealed class TranscriptLimitFixture : GatewayFixture
{
    public string Outbox { get; } = Path.Combine(Path.GetTempPath(), "chatcluster-transcripts-" + Guid.NewGuid().ToString("N"));

    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:Mail:OutboxPath"] = Outbox,
        ["ChatCluster:Mail:TranscriptLimits:PerAddressPerDay"] = "2",
        ["ChatCluster:Mail:TranscriptLimits:PerVisitorPerDay"] = "3",
        ["ChatCluster:Mail:TranscriptLimits:PerTenantPerDay"] = "4",
    };
}

/// <summary>
/// Issue 15 item 3: <c>start {email}</c> → <c>send</c> → <c>close</c> must not make the tenant's sender a mail relay.
/// Transcript mail is limited per address, visitor and tenant per day, the visitor is told when none will be sent, and a
/// tenant can require the address to be confirmed with a mailed code before any transcript goes to it.
/// </summary>
public sealed partial class TranscriptLimitTests(TranscriptLimitFixture gateway) : IClassFixture<TranscriptLimitFixture>
{
    private const string TranscriptSubject = "Subject: Your chat transcript";

    [Fact]
    public async Task A_script_repeating_start_with_an_email_send_close_gets_at_most_the_daily_limit_of_transcripts_to_one_address()
    {
        var (tenant, siteKey, _) = await gateway.FreshTenant("relay");
        var victim = $"victim-{Ids.Random(5)}@example.com";
        var outcomes = new List<(string Started, string Closed)>();
        for (var i = 0; i < 5; i++)
        {
            // A fresh anonymous visitor each time, as a script would: the address's limit is what holds.
            await using var script = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
            await script.HelloVisitor(siteKey);
            outcomes.Add(await Chat(script, victim, "Buy cheap watches at spam.example"));
        }

        Assert.Equal([("pending", "sent"), ("pending", "sent"), ("limited", "limited"), ("limited", "limited"), ("limited", "limited")], outcomes);
        Assert.Equal(2, (await Mails(tenant, victim)).Count(m => m.Contains(TranscriptSubject, StringComparison.Ordinal)));

        // Another address still gets its transcript: the limit is the address's, not the visitor's or the tenant's yet.
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var other = $"jo-{Ids.Random(5)}@example.com";
        Assert.Equal(("pending", "sent"), await Chat(visitor, other.ToUpperInvariant(), "Hello"));
        Assert.Single(await Mails(tenant, other));
    }

    [Fact]
    public async Task One_visitor_gets_at_most_the_daily_limit_of_transcripts_whatever_the_addresses()
    {
        var (tenant, siteKey, _) = await gateway.FreshTenant("visitor");
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var closed = new List<string>();
        for (var i = 0; i < 4; i++) closed.Add((await Chat(visitor, $"n{i}-{Ids.Random(5)}@example.com", "Hi")).Closed);

        Assert.Equal(["sent", "sent", "sent", "limited"], closed);
        Assert.Equal(3, (await Mails(tenant, "@example.com")).Count);
    }

    [Fact]
    public async Task A_tenant_sends_at_most_its_daily_limit_of_transcripts_from_all_visitors_together()
    {
        var (tenant, siteKey, _) = await gateway.FreshTenant("tenant");
        var closed = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
            await visitor.HelloVisitor(siteKey);
            closed.Add((await Chat(visitor, $"t{i}-{Ids.Random(5)}@example.com", "Hi")).Closed);
        }

        Assert.Equal(["sent", "sent", "sent", "sent", "limited"], closed);
        Assert.Equal(4, (await Mails(tenant, "@example.com")).Count);
    }

    [Fact]
    public async Task With_confirmation_required_no_transcript_is_sent_until_the_visitor_enters_the_mailed_code()
    {
        var (tenant, siteKey, owner) = await gateway.FreshTenant("confirm");
        var set = await (await gateway.Call(HttpMethod.Put, "/api/settings/transcripts", owner, new { confirmEmail = true })).Json();
        Assert.True((bool)set["confirmEmail"]!);
        var email = $"jo-{Ids.Random(5)}@example.com";

        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var (conversationId, started) = await Start(visitor, email);
        Assert.Equal("awaiting_confirmation", started);
        var confirmation = Assert.Single(await Mails(tenant, email));
        Assert.DoesNotContain(TranscriptSubject, confirmation, StringComparison.Ordinal);
        Assert.DoesNotContain("secret offer", confirmation, StringComparison.Ordinal);
        var code = CodePattern().Match(confirmation).Groups[1].Value;
        Assert.Matches("^[0-9]{6}$", code);

        await visitor.SendMessage(conversationId, "m1", "A secret offer");
        Assert.Equal("awaiting_confirmation", await Close(visitor, conversationId));
        Assert.Single(await Mails(tenant, email)); // still only the code: closing sent no transcript

        await visitor.Send(new { type = "confirm_transcript", id = "k1", conversationId, code = code == "000000" ? "111111" : "000000" });
        var wrong = await visitor.Next("error");
        Assert.Equal(("k1", "invalid_code"), ((string?)wrong["id"], (string?)wrong["code"]));
        Assert.Single(await Mails(tenant, email));

        await visitor.Send(new { type = "confirm_transcript", id = "k2", conversationId, code });
        Assert.Equal("sent", (string?)(await Reply(visitor, "k2"))["conversation"]!["transcript"]);
        var mails = await Mails(tenant, email);
        Assert.Equal(2, mails.Count);
        Assert.Contains(mails, m => m.Contains(TranscriptSubject, StringComparison.Ordinal) && m.Contains("A secret offer", StringComparison.Ordinal));

        // Confirming again, or as an agent, changes nothing.
        await visitor.Send(new { type = "confirm_transcript", id = "k3", conversationId, code });
        Assert.Equal("invalid_request", (string?)(await visitor.Next("error"))["code"]);
        await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await agent.HelloAgent(owner);
        await agent.Send(new { type = "confirm_transcript", id = "a1", conversationId, code });
        Assert.Equal("forbidden", (string?)(await agent.Next("error"))["code"]);
        Assert.Equal(2, (await Mails(tenant, email)).Count);
    }

    [Fact]
    public async Task With_confirmation_required_a_chat_never_confirmed_mails_only_the_code_and_five_wrong_codes_end_it()
    {
        var (tenant, siteKey, owner) = await gateway.FreshTenant("unconfirmed");
        await (await gateway.Call(HttpMethod.Put, "/api/settings/transcripts", owner, new { confirmEmail = true })).Json();
        Assert.True((bool)(await (await gateway.Call(HttpMethod.Get, "/api/settings/transcripts", owner)).Json())["confirmEmail"]!);
        var email = $"victim-{Ids.Random(5)}@example.com";

        await using var script = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await script.HelloVisitor(siteKey);
        var (conversationId, _) = await Start(script, email);
        await script.SendMessage(conversationId, "m1", "Spam text");
        Assert.Equal("awaiting_confirmation", await Close(script, conversationId));
        var code = CodePattern().Match(Assert.Single(await Mails(tenant, email))).Groups[1].Value;
        var wrongCodes = Enumerable.Range(100_000, 6).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)).Where(c => c != code).Take(5);
        foreach (var wrong in wrongCodes)
        {
            await script.Send(new { type = "confirm_transcript", id = "g", conversationId, code = wrong });
            Assert.Equal("invalid_code", (string?)(await script.Next("error"))["code"]);
        }
        await script.Send(new { type = "confirm_transcript", id = "g9", conversationId, code });
        Assert.Equal("invalid_request", (string?)(await script.Next("error"))["code"]); // even the right code is too late now

        var only = Assert.Single(await Mails(tenant, email));
        Assert.DoesNotContain(TranscriptSubject, only, StringComparison.Ordinal);
        Assert.DoesNotContain("Spam text", only, StringComparison.Ordinal);
        await (await gateway.Call(HttpMethod.Put, "/api/settings/transcripts", owner, new { })).AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        Assert.Equal(HttpStatusCode.Forbidden, (await gateway.Call(HttpMethod.Put, "/api/settings/transcripts",
            (await gateway.PlainAgent(tenant, owner)).Token, new { confirmEmail = false })).StatusCode);
    }

    [Fact]
    public async Task Bad_confirmations_and_settings_calls_get_typed_errors_and_leave_the_socket_open()
    {
        var (_, siteKey, owner) = await gateway.FreshTenant("confirm-bad");
        await (await gateway.Call(HttpMethod.Put, "/api/settings/transcripts", owner, new { confirmEmail = true })).Json();
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.Call(HttpMethod.Put, "/api/settings/transcripts", null, new { confirmEmail = false })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.Call(HttpMethod.Get, "/api/settings/transcripts", null)).StatusCode);
        using (var malformed = new HttpRequestMessage(HttpMethod.Put, new Uri(gateway.BaseUri, "/api/settings/transcripts")))
        {
            malformed.Headers.Authorization = new("Bearer", owner);
            malformed.Content = new StringContent("{\"confirmEmail\": tru", System.Text.Encoding.UTF8, "application/json");
            Assert.Equal(HttpStatusCode.BadRequest, (await gateway.Http.SendAsync(malformed)).StatusCode);
        }

        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var (conversationId, _) = await Start(visitor, $"jo-{Ids.Random(5)}@example.com");
        await using var stranger = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await stranger.HelloVisitor(siteKey);

        async Task<string> Refusal(ChatClient client, object frame)
        {
            await client.Send(frame);
            return (string)(await client.Next("error"))["code"]!;
        }
        Assert.Equal("missing_field", await Refusal(visitor, new { type = "confirm_transcript", id = "a", conversationId }));
        Assert.Equal("missing_field", await Refusal(visitor, new { type = "confirm_transcript", id = "b", code = "123456" }));
        Assert.Equal("invalid_request", await Refusal(visitor, new { type = "confirm_transcript", id = "c", conversationId, code = new string('1', 5000) }));
        Assert.Equal("not_found", await Refusal(stranger, new { type = "confirm_transcript", id = "d", conversationId, code = "123456" }));
        Assert.Equal("not_found", await Refusal(visitor, new { type = "confirm_transcript", id = "e", conversationId = "c_" + Ids.Random(24), code = "123456" }));
        var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await using (agent)
        {
            await agent.HelloAgent(owner);
            Assert.Equal("forbidden", await Refusal(agent, new { type = "confirm_transcript", id = "f", conversationId, code = "123456" }));
        }

        // The socket is still open and the conversation still works.
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, visitor.State);
        await visitor.SendMessage(conversationId, "after", "still here");
    }

    [Theory]
    [InlineData("ChatCluster:Mail:TranscriptLimits:PerAddressPerDay", "0")]
    [InlineData("ChatCluster:Mail:TranscriptLimits:PerVisitorPerDay", "-3")]
    [InlineData("ChatCluster:Mail:TranscriptLimits:PerTenantPerDay", "many")]
    public void A_nonsense_transcript_limit_stops_the_gateway_and_names_the_setting(string setting, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0", [setting] = value })));
        Assert.Contains(setting, ex.Message);
    }

    /// <summary>Start with an email, one message, close: the transcript status at the start and after the close.</summary>
    private static async Task<(string Started, string Closed)> Chat(ChatClient visitor, string email, string text)
    {
        var (conversationId, started) = await Start(visitor, email);
        await visitor.SendMessage(conversationId, "m-" + Ids.Random(4), text);
        return (started, await Close(visitor, conversationId));
    }

    private static async Task<(string ConversationId, string Transcript)> Start(ChatClient visitor, string email)
    {
        await visitor.Send(new { type = "start", id = "s", name = "Jo", email });
        var conversation = (await visitor.Next("started"))["conversation"]!;
        return ((string)conversation["conversationId"]!, (string)conversation["transcript"]!);
    }

    private static async Task<string> Close(ChatClient visitor, string conversationId)
    {
        var id = "c-" + Ids.Random(4);
        await visitor.Send(new { type = "close", id, conversationId });
        return (string)(await Reply(visitor, id))["conversation"]!["transcript"]!;
    }

    /// <summary>The <c>conversation</c> frame that answers the frame <paramref name="id"/> (the followers' copy of the change may come first).</summary>
    private static async Task<JsonObject> Reply(ChatClient socket, string id)
    {
        while (true)
        {
            var frame = await socket.Next("conversation");
            if ((string?)frame["id"] == id) return frame;
        }
    }

    /// <summary>Every mail in the tenant's outbox addressed to something containing <paramref name="address"/>.</summary>
    private async Task<List<string>> Mails(string tenant, string address)
    {
        var folder = Path.Combine(gateway.Outbox, tenant);
        if (!Directory.Exists(folder)) return [];
        var mails = new List<string>();
        // Kept mail is sealed with the personal-data key ring (issue 14): open each file with it.
        var cipher = gateway.Services.GetRequiredService<PersonalDataCipher>();
        foreach (var file in Directory.EnumerateFiles(folder, "*" + OutboxMailSender.Extension, SearchOption.AllDirectories))
        {
            var text = OutboxMailSender.Open(cipher, file, await File.ReadAllBytesAsync(file));
            var to = text.Split('\n').FirstOrDefault(l => l.StartsWith("To:", StringComparison.Ordinal)) ?? "";
            if (to.Contains(address, StringComparison.OrdinalIgnoreCase)) mails.Add(text);
        }
        return mails;
    }

    [GeneratedRegex(@"confirmation code (\d{6})")]
    private static partial Regex CodePattern();
}
