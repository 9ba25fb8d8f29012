using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ChatCluster.Integrations;

namespace ChatCluster.Gateway.Tests;

/// <summary>A gateway whose webhooks may target loopback (the test receiver) and retry fast.</summary>
public sealed class WebhookFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:Webhooks:AllowPrivateTargets"] = "true",
        ["ChatCluster:Webhooks:Timeout"] = "00:00:01.500",
        ["ChatCluster:Webhooks:FirstDelay"] = "00:00:00.200",
        ["ChatCluster:Webhooks:MaximumDelay"] = "00:00:00.400",
        ["ChatCluster:Webhooks:GiveUpAfter"] = "00:01:00",
        ["ChatCluster:Webhooks:DisableAfterFailures"] = "4",
    };
}

/// <summary>I2: signed, retried, logged webhook deliveries to a real loopback receiver, following the tenant's privacy choices.</summary>
public sealed class WebhookDeliveryTests(WebhookFixture gateway) : IClassFixture<WebhookFixture>
{
    [Fact]
    public async Task Conversation_events_arrive_signed_without_personal_data_by_default()
    {
        await using var receiver = await WebhookReceiver.Start();
        var (_, siteKey, owner) = await gateway.FreshTenant("hooks");
        var secret = await Register(owner, receiver.Url, WebhookEventTypes.All, includePersonalData: false);

        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation("Jo Bloggs", "jo@example.com");
        await visitor.SendMessage(conversationId, "m-1", "My card number is 4111");
        await visitor.Send(new { type = "close", conversationId });
        await visitor.Next("conversation");
        await visitor.Send(new { type = "rate", id = "r1", conversationId, score = 4, comment = "Jo was helped" });
        await visitor.Next("rated");

        var started = await receiver.Next(r => r.Event == "conversation.started");
        var message = await receiver.Next(r => r.Event == "message.created");
        var closed = await receiver.Next(r => r.Event == "conversation.closed");
        var rated = await receiver.Next(r => r.Event == "conversation.rated");

        var verifier = new WebhookVerifier(secret, TimeProvider.System);
        foreach (var delivery in new[] { started, message, closed, rated })
        {
            Assert.Equal(WebhookVerifier.Verdict.Accepted, verifier.Check(delivery.Signature, delivery.Body));
            Assert.DoesNotContain("Jo", delivery.Text);
            Assert.DoesNotContain("jo@example.com", delivery.Text);
            Assert.DoesNotContain("4111", delivery.Text);
            var body = JsonNode.Parse(delivery.Text)!;
            Assert.Equal(conversationId, (string?)body["data"]!["conversationId"]);
            Assert.False((bool)body["data"]!["personalData"]!);
            Assert.Equal(delivery.Delivery, (string?)body["id"]);
        }
        Assert.Equal(1, (int)JsonNode.Parse(message.Text)!["data"]!["message"]!["seq"]!);
        Assert.Equal(4, (int)JsonNode.Parse(rated.Text)!["data"]!["score"]!);
        // The same request again is a replay.
        Assert.Equal(WebhookVerifier.Verdict.Replayed, verifier.Check(message.Signature, message.Body));
    }

    [Fact]
    public async Task An_endpoint_registered_while_a_conversation_is_live_gets_its_messages_within_two_seconds()
    {
        // A live conversation of a tenant without webhooks sends no event at all (issue 13: the tenant's one webhooks
        // grain is not on the per-message path); it learns of a new endpoint within WebhookInterestLifetime (2 s).
        await using var receiver = await WebhookReceiver.Start();
        var (_, siteKey, owner) = await gateway.FreshTenant("hooks");
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation();
        await visitor.SendMessage(conversationId, "before", "before any endpoint");

        await Register(owner, receiver.Url, [WebhookEventTypes.MessageCreated], includePersonalData: true);
        await Task.Delay(2100);
        await visitor.SendMessage(conversationId, "after", "after the endpoint");

        var delivered = JsonNode.Parse((await receiver.Next(r => r.Event == "message.created")).Text)!;
        Assert.Equal("after the endpoint", (string?)delivered["data"]!["message"]!["text"]);
        await Task.Delay(300);
        Assert.Single(receiver.Deliveries, r => r.Event == "message.created");
    }

    [Fact]
    public async Task Personal_fields_are_sent_only_to_endpoints_that_asked_for_them()
    {
        await using var receiver = await WebhookReceiver.Start();
        var (_, siteKey, owner) = await gateway.FreshTenant("hooks");
        await Register(owner, receiver.Url, [WebhookEventTypes.ConversationStarted, WebhookEventTypes.MessageCreated], includePersonalData: true);

        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation("Jo Bloggs", "jo@example.com");
        await visitor.SendMessage(conversationId, "m-1", "hello there");

        var started = JsonNode.Parse((await receiver.Next(r => r.Event == "conversation.started")).Text)!;
        Assert.Equal("jo@example.com", (string?)started["data"]!["visitor"]!["email"]);
        var message = JsonNode.Parse((await receiver.Next(r => r.Event == "message.created")).Text)!;
        Assert.Equal("hello there", (string?)message["data"]!["message"]!["text"]);
        Assert.True((bool)message["data"]!["personalData"]!);
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_with_back_off_and_the_log_shows_each_status()
    {
        await using var receiver = await WebhookReceiver.Start();
        receiver.Answer = n => (n <= 2 ? 503 : 200, TimeSpan.Zero);
        var (_, siteKey, owner) = await gateway.FreshTenant("hooks");
        var webhookId = await RegisterId(owner, receiver.Url, [WebhookEventTypes.ConversationStarted]);

        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        await visitor.StartConversation();

        var delivered = await receiver.Next(r => r.Event == "conversation.started" && receiver.Deliveries.Count >= 3);
        var log = await WaitForLog(owner, webhookId, l => l.Any(e => (string?)e!["outcome"] == "delivered"));
        var attempts = log.Select(e => ((int?)e!["statusCode"], (string?)e["outcome"], (int)e["attempt"]!)).Reverse().ToList();
        Assert.Equal([(503, "failed", 1), (503, "failed", 2), (200, "delivered", 3)], attempts);
        Assert.All(log, e => Assert.Equal(delivered.Delivery, (string?)e!["deliveryId"]));
        // Retries carry the same delivery id and a fresh signature time.
        Assert.Equal(3, receiver.Deliveries.Count(r => r.Delivery == delivered.Delivery));
    }

    [Fact]
    public async Task An_endpoint_that_keeps_failing_is_disabled_with_the_reason_visible()
    {
        await using var receiver = await WebhookReceiver.Start();
        receiver.Answer = _ => (500, TimeSpan.Zero);
        var (_, siteKey, owner) = await gateway.FreshTenant("hooks");
        var webhookId = await RegisterId(owner, receiver.Url, [WebhookEventTypes.ConversationStarted]);

        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        await visitor.StartConversation();

        JsonObject? hook = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            hook = (await (await gateway.Call(HttpMethod.Get, "/api/settings/webhooks", owner)).Content.ReadAsStringAsync()) is { } text
                ? JsonNode.Parse(text)!.AsArray().Single()!.AsObject() : null;
            if (hook?["enabled"]?.GetValue<bool>() == false) break;
            await Task.Delay(100);
        }
        Assert.False((bool)hook!["enabled"]!);
        Assert.Contains("4 failed deliveries in a row", (string?)hook["disabledReason"]);
        Assert.Contains("HTTP 500", (string?)hook["disabledReason"]);
        var count = receiver.Deliveries.Count;
        Assert.Equal(4, count);

        // Re-enabled by the admin, it gets new events again.
        receiver.Answer = _ => (200, TimeSpan.Zero);
        var enabled = await (await gateway.Call(HttpMethod.Patch, $"/api/settings/webhooks/{webhookId}", owner, new { enabled = true })).Json();
        Assert.True((bool)enabled["enabled"]!);
        Assert.Null(enabled["disabledReason"]);
        await using var second = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await second.HelloVisitor(siteKey);
        await second.StartConversation();
        await receiver.Next(_ => receiver.Deliveries.Count > count);
    }

    [Fact]
    public async Task A_receiver_that_hangs_times_out_and_never_slows_the_chat()
    {
        await using var receiver = await WebhookReceiver.Start();
        receiver.Answer = _ => (200, TimeSpan.FromSeconds(10));
        var (_, siteKey, owner) = await gateway.FreshTenant("hooks");
        var webhookId = await RegisterId(owner, receiver.Url, [WebhookEventTypes.MessageCreated]);

        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation();
        var clock = Stopwatch.StartNew();
        for (var i = 1; i <= 10; i++) await visitor.SendMessage(conversationId, $"m-{i}", $"message {i}");
        // Ten acks while every delivery hangs for 10 s: the chat does not wait for webhooks.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"10 acks took {clock.Elapsed}");

        var log = await WaitForLog(owner, webhookId, l => l.Any(e => ((string?)e!["error"])?.Contains("No answer within") == true));
        Assert.Contains(log, e => (string?)e!["outcome"] == "failed" && e["statusCode"] is null);
    }

    [Fact]
    public async Task An_erasure_event_says_what_was_erased_without_repeating_it()
    {
        await using var receiver = await WebhookReceiver.Start();
        var (_, siteKey, owner) = await gateway.FreshTenant("hooks");
        await Register(owner, receiver.Url, [WebhookEventTypes.VisitorErased], includePersonalData: true);

        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var welcome = await visitor.HelloVisitor(siteKey);
        var visitorId = (string)welcome["visitorId"]!;
        await visitor.StartConversation("Jo Bloggs", "jo@example.com");
        await (await gateway.Call(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId })).Json();

        var erased = await receiver.Next(r => r.Event == "visitor.erased");
        var data = JsonNode.Parse(erased.Text)!["data"]!;
        Assert.Equal(visitorId, (string?)data["visitorId"]);
        Assert.Equal(1, (int)data["erased"]!["conversations"]!);
        Assert.DoesNotContain("Jo", erased.Text);
        Assert.DoesNotContain("jo@example.com", erased.Text);
    }

    private async Task<string> Register(string token, Uri url, IReadOnlyList<string> events, bool includePersonalData)
    {
        var created = await (await gateway.Call(HttpMethod.Post, "/api/settings/webhooks", token,
            new { url = url.ToString(), events, includePersonalData })).Json(HttpStatusCode.Created);
        return (string)created["secret"]!;
    }

    private async Task<string> RegisterId(string token, Uri url, IReadOnlyList<string> events)
    {
        var created = await (await gateway.Call(HttpMethod.Post, "/api/settings/webhooks", token,
            new { url = url.ToString(), events })).Json(HttpStatusCode.Created);
        return (string)created["webhook"]!["webhookId"]!;
    }

    private async Task<JsonArray> WaitForLog(string token, string webhookId, Func<JsonArray, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonArray log = [];
        while (DateTime.UtcNow < deadline)
        {
            log = JsonNode.Parse(await (await gateway.Call(HttpMethod.Get, $"/api/settings/webhooks/{webhookId}/deliveries", token)).Content.ReadAsStringAsync())!.AsArray();
            if (done(log)) return log;
            await Task.Delay(100);
        }
        throw new TimeoutException("The delivery log never showed it: " + log.ToJsonString());
    }
}

/// <summary>I2 bad input on a gateway with the default setting: private targets are refused.</summary>
[Collection(GatewayCollection.Name)]
public sealed class WebhookRegistrationTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://192.168.1.1/hook")]
    [InlineData("http://172.16.0.1/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[fd00::1]/hook")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("ftp://hooks.example/hook")]
    [InlineData("https://user:pw@hooks.example/hook")]
    [InlineData("not a url")]
    public async Task Private_loopback_link_local_and_odd_targets_are_refused(string url)
    {
        var (_, _, owner) = await gateway.FreshTenant("hooks");
        await (await gateway.Call(HttpMethod.Post, "/api/settings/webhooks", owner, new { url, events = new[] { "message.created" } }))
            .AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Bad_registrations_get_problem_details()
    {
        var (tenantId, _, owner) = await gateway.FreshTenant("hooks");
        const string url = "https://hooks.example/in";
        await (await gateway.Call(HttpMethod.Post, "/api/settings/webhooks", owner, new { events = new[] { "message.created" } })).AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        await (await gateway.Call(HttpMethod.Post, "/api/settings/webhooks", owner, new { url })).AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        await (await gateway.Call(HttpMethod.Post, "/api/settings/webhooks", owner, new { url, events = new[] { "everything" } })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await gateway.Call(HttpMethod.Post, "/api/settings/webhooks", owner, new { url, events = new[] { "message.created" }, secret = "short" })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await gateway.Call(HttpMethod.Post, "/api/settings/webhooks", owner, new { url = "https://x.example/" + new string('a', 2100), events = new[] { "message.created" } })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        await (await gateway.Call(HttpMethod.Get, "/api/settings/webhooks/w_nosuchhookatall/deliveries", owner)).AssertProblem(HttpStatusCode.NotFound, "not_found");
        await (await gateway.Call(HttpMethod.Delete, "/api/settings/webhooks/../x", owner)).AssertProblem(HttpStatusCode.NotFound, "not_found");

        using var malformed = new HttpRequestMessage(HttpMethod.Post, "/api/settings/webhooks") { Content = new StringContent("[1,2", Encoding.UTF8, "application/json") };
        malformed.Headers.Authorization = new("Bearer", owner);
        var bad = await gateway.Http.SendAsync(malformed);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);

        using var huge = new HttpRequestMessage(HttpMethod.Post, "/api/settings/webhooks")
        {
            Content = new StringContent($$"""{"url":"{{url}}","events":["message.created"],"secret":"{{new string('s', 100_000)}}"}""", Encoding.UTF8, "application/json"),
        };
        huge.Headers.Authorization = new("Bearer", owner);
        await (await gateway.Http.SendAsync(huge)).AssertProblem(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");

        var (_, agent) = await gateway.PlainAgent(tenantId, owner);
        await (await gateway.Call(HttpMethod.Get, "/api/settings/webhooks", agent)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");
        await (await gateway.Call(HttpMethod.Get, "/api/settings/webhooks", null)).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
    }

    [Fact]
    public async Task Keys_with_webhooks_manage_register_others_do_not_and_tenants_stay_apart()
    {
        var (_, _, owner) = await gateway.FreshTenant("hooks");
        async Task<string> Key(params string[] scopes) => (string)(await (await gateway.Call(HttpMethod.Post, "/api/settings/api-keys", owner,
            new { name = "k", scopes })).Json(HttpStatusCode.Created))["secret"]!;
        var manager = await Key("webhooks:manage");
        var reader = await Key("conversations:read");
        var created = await (await gateway.Call(HttpMethod.Post, "/api/settings/webhooks", manager,
            new { url = "https://hooks.example/in", events = new[] { "conversation.closed" } })).Json(HttpStatusCode.Created);
        var webhookId = (string)created["webhook"]!["webhookId"]!;
        Assert.StartsWith("whsec_", (string)created["secret"]!);
        await (await gateway.Call(HttpMethod.Get, "/api/settings/webhooks", reader)).AssertProblem(HttpStatusCode.Forbidden, "forbidden");

        var listed = await (await gateway.Call(HttpMethod.Get, "/api/settings/webhooks", owner)).Content.ReadAsStringAsync();
        Assert.Contains(webhookId, listed);
        Assert.DoesNotContain((string)created["secret"]!, listed);

        var (_, _, stranger) = await gateway.FreshTenant("other");
        await (await gateway.Call(HttpMethod.Get, $"/api/settings/webhooks/{webhookId}/deliveries", stranger)).AssertProblem(HttpStatusCode.NotFound, "not_found");
        await (await gateway.Call(HttpMethod.Patch, $"/api/settings/webhooks/{webhookId}", stranger, new { enabled = false })).AssertProblem(HttpStatusCode.NotFound, "not_found");
        await (await gateway.Call(HttpMethod.Delete, $"/api/settings/webhooks/{webhookId}", stranger)).AssertProblem(HttpStatusCode.NotFound, "not_found");

        Assert.Equal(HttpStatusCode.NoContent, (await gateway.Call(HttpMethod.Delete, $"/api/settings/webhooks/{webhookId}", manager)).StatusCode);
        var audit = await (await gateway.Call(HttpMethod.Get, "/api/audit", owner)).Content.ReadAsStringAsync();
        Assert.Contains("webhookRegistered", audit);
        Assert.Contains("webhookDeleted", audit);
    }
}

/// <summary>The sample verifier of docs/integrations.md: signatures, tampering, stale times and replays.</summary>
public sealed class WebhookVerifierTests
{
    private const string Secret = "whsec_test_secret_0123456789";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":"d_abc","type":"message.created","data":{}}""");

    [Fact]
    public void A_fresh_signature_verifies_once_and_its_replay_is_refused()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T12:00:00Z"));
        var verifier = new WebhookVerifier(Secret, time);
        var header = WebhookSignature.Sign(Secret, time.GetUtcNow(), Body);
        Assert.Equal(WebhookVerifier.Verdict.Accepted, verifier.Check(header, Body));
        Assert.Equal(WebhookVerifier.Verdict.Replayed, verifier.Check(header, Body));
        // Re-signed later (a retry of the same delivery) is still the same delivery.
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(WebhookVerifier.Verdict.Replayed, verifier.Check(WebhookSignature.Sign(Secret, time.GetUtcNow(), Body), Body));
    }

    [Fact]
    public void A_captured_request_replayed_after_the_window_is_refused()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T12:00:00Z"));
        var header = WebhookSignature.Sign(Secret, time.GetUtcNow(), Body);
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(WebhookVerifier.Verdict.BadSignature, new WebhookVerifier(Secret, time).Check(header, Body));
        Assert.False(WebhookSignature.Verify(Secret, header, Body, time.GetUtcNow(), WebhookVerifier.Tolerance));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1=00")]
    [InlineData("t=abc,v1=00")]
    [InlineData("t=1796644800")]
    [InlineData("garbage")]
    [InlineData("t=1796644800,v1=zz")]
    public void Malformed_headers_do_not_verify(string? header)
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1796644800));
        Assert.Equal(WebhookVerifier.Verdict.BadSignature, new WebhookVerifier(Secret, time).Check(header, Body));
    }

    [Fact]
    public void A_changed_body_a_changed_time_or_another_secret_does_not_verify()
    {
        var now = DateTimeOffset.Parse("2026-12-07T12:00:00Z");
        var header = WebhookSignature.Sign(Secret, now, Body);
        var tampered = Encoding.UTF8.GetBytes("""{"id":"d_abc","type":"message.created","data":{"x":1}}""");
        Assert.False(WebhookSignature.Verify(Secret, header, tampered, now, WebhookVerifier.Tolerance));
        Assert.False(WebhookSignature.Verify("another-secret-0123456", header, Body, now, WebhookVerifier.Tolerance));
        var shifted = header.Replace($"t={now.ToUnixTimeSeconds()}", $"t={now.ToUnixTimeSeconds() + 1}");
        Assert.False(WebhookSignature.Verify(Secret, shifted, Body, now, WebhookVerifier.Tolerance));
        Assert.True(WebhookSignature.Verify(Secret, header, Body, now, WebhookVerifier.Tolerance));
    }
}
