using System.Net;
using System.Text.Json.Nodes;
using ChatCluster.Integrations;

namespace ChatCluster.Gateway.Tests;

/// <summary>I3: a site vouches for its signed-in users; verified users are one visitor on every device; forgeries are refused.</summary>
[Collection(GatewayCollection.Name)]
public sealed class IdentityVerificationTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_verified_user_is_one_visitor_with_its_conversations_on_every_device()
    {
        var (_, siteKey, owner) = await gateway.FreshTenant("ident");
        var secret = await Rotate(owner);
        var identity = new { userId = "user-42", name = "Jo Bloggs", email = "jo@example.com", signature = IdentityVerification.Sign(secret, "user-42") };

        await using var laptop = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var first = await Hello(laptop, siteKey, identity);
        var conversationId = await laptop.StartConversation();

        await using var phone = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var second = await Hello(phone, siteKey, identity);
        Assert.Equal((string)first["visitorId"]!, (string)second["visitorId"]!);
        Assert.Contains(second["conversations"]!.AsArray(), c => (string?)c!["conversationId"] == conversationId);
        Assert.Null(second["visitorToken"]); // the identity is the credential; no second token for the same person

        var panel = await (await gateway.Call(HttpMethod.Get, $"/api/conversations/{conversationId}/visitor", owner)).Json();
        Assert.Equal("jo@example.com", (string?)panel["email"]);

        // Export and erasure see one person: both devices' conversations, gone together.
        var export = await (await gateway.Call(HttpMethod.Get, $"/api/privacy/subjects/{first["visitorId"]}/export", owner)).Content.ReadAsStringAsync();
        Assert.Contains(conversationId, export);
        await (await gateway.Call(HttpMethod.Post, "/api/privacy/erasure", owner, new { visitorId = (string)first["visitorId"]! })).Json();
        await using var later = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var fresh = await Hello(later, siteKey, identity);
        Assert.NotEqual((string)first["visitorId"]!, (string)fresh["visitorId"]!);
        Assert.Empty(fresh["conversations"]!.AsArray());
    }

    [Theory]
    [InlineData("forged")]
    [InlineData("wrong-user")]
    [InlineData("short")]
    [InlineData("not-hex")]
    public async Task A_forged_identity_gets_invalid_identity_and_the_visitor_goes_on_anonymously(string kind)
    {
        var (_, siteKey, owner) = await gateway.FreshTenant("ident");
        var secret = await Rotate(owner);
        var signature = kind switch
        {
            "forged" => IdentityVerification.Sign("not-the-secret", "user-42"),
            "wrong-user" => IdentityVerification.Sign(secret, "user-43"),
            "short" => "abcd",
            _ => new string('z', 64),
        };
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.Send(new { type = "hello", id = "h1", role = "visitor", siteKey, identity = new { userId = "user-42", signature } });
        var error = await visitor.Next("error");
        Assert.Equal("invalid_identity", (string?)error["code"]);
        var welcome = await visitor.Next("welcome");
        Assert.NotNull(welcome["visitorToken"]); // a fresh anonymous visitor
        Assert.NotNull(await visitor.StartConversation());
    }

    [Fact]
    public async Task A_rotated_secret_stays_valid_for_the_grace_period_and_a_stale_one_after_that_is_refused()
    {
        var (_, siteKey, owner) = await gateway.FreshTenant("ident");
        var old = await Rotate(owner);
        var fresh = await Rotate(owner);
        Assert.NotEqual(old, fresh);
        var settings = await (await gateway.Call(HttpMethod.Get, "/api/settings/identity", owner)).Json();
        Assert.True((bool)settings["configured"]!);
        Assert.NotNull(settings["previousSecretValidUntil"]);
        Assert.DoesNotContain(fresh, settings.ToJsonString());

        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await Hello(visitor, siteKey, new { userId = "u1", signature = IdentityVerification.Sign(old, "u1") });
        // Two rotations on, the first secret is no longer accepted at all.
        await Rotate(owner);
        await using var stale = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await stale.Send(new { type = "hello", id = "h1", role = "visitor", siteKey, identity = new { userId = "u1", signature = IdentityVerification.Sign(old, "u1") } });
        Assert.Equal("invalid_identity", (string?)(await stale.Next("error"))["code"]);
    }

    [Fact]
    public async Task A_tenant_that_requires_verification_refuses_anonymous_and_forged_hellos()
    {
        var (tenantId, siteKey, owner) = await gateway.FreshTenant("ident");
        await (await gateway.Call(HttpMethod.Put, "/api/settings/identity", owner, new { required = true })).AssertProblem(HttpStatusCode.BadRequest, "invalid_request");
        var secret = await Rotate(owner);
        await (await gateway.Call(HttpMethod.Put, "/api/settings/identity", owner, new { })).AssertProblem(HttpStatusCode.BadRequest, "missing_field");
        Assert.True((bool)(await (await gateway.Call(HttpMethod.Put, "/api/settings/identity", owner, new { required = true })).Json())["required"]!);

        await using var anonymous = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await anonymous.Send(new { type = "hello", id = "h1", role = "visitor", siteKey });
        Assert.Equal("identity_required", (string?)(await anonymous.Next("error"))["code"]);
        Assert.Equal((System.Net.WebSockets.WebSocketCloseStatus)4003, await anonymous.Closed());

        await using var forged = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await forged.Send(new { type = "hello", id = "h1", role = "visitor", siteKey, identity = new { userId = "u", signature = new string('0', 64) } });
        Assert.Equal("identity_required", (string?)(await forged.Next("error"))["code"]);

        await using var verified = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await Hello(verified, siteKey, new { userId = "u", signature = IdentityVerification.Sign(secret, "u") });

        var (_, agent) = await gateway.PlainAgent(tenantId, owner);
        Assert.Equal(HttpStatusCode.Forbidden, (await gateway.Call(HttpMethod.Post, "/api/settings/identity/rotate", agent)).StatusCode);
        var audit = await (await gateway.Call(HttpMethod.Get, "/api/audit", owner)).Content.ReadAsStringAsync();
        Assert.Contains("identitySettingsChanged", audit);
        Assert.DoesNotContain(secret, audit);
    }

    [Fact]
    public async Task Another_tenants_secret_does_not_verify_here()
    {
        var (_, _, otherOwner) = await gateway.FreshTenant("other");
        var theirs = await Rotate(otherOwner);
        var (_, siteKey, owner) = await gateway.FreshTenant("ident");
        await Rotate(owner);
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.Send(new { type = "hello", id = "h1", role = "visitor", siteKey, identity = new { userId = "u", signature = IdentityVerification.Sign(theirs, "u") } });
        Assert.Equal("invalid_identity", (string?)(await visitor.Next("error"))["code"]);
    }

    private async Task<string> Rotate(string owner) =>
        (string)(await (await gateway.Call(HttpMethod.Post, "/api/settings/identity/rotate", owner)).Json())["secret"]!;

    private static async Task<JsonObject> Hello(ChatClient client, string siteKey, object identity)
    {
        await client.Send(new { type = "hello", id = "h1", role = "visitor", siteKey, identity });
        return await client.Next("welcome");
    }
}
