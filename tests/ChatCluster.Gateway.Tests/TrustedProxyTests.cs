using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChatCluster.Gateway.Tests;

/// <summary>
/// A gateway behind a reverse proxy on the loopback network: it trusts 127.0.0.0/8 to name the client in
/// X-Forwarded-For. Its country table puts 203.0.113.0/24 in the Netherlands; logins are limited to 2 a minute
/// per client address, on a fake clock.
/// </summary>
public sealed class TrustedProxyFixture : FakeLoginClockFixture
{
    private readonly string table = CountryTableGatewayFixture.WriteCountryTable("203.0.113.0,203.0.113.255,NL\n127.0.0.0,127.255.255.255,DE\n");

    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:Gateway:TrustedProxies:0"] = "127.0.0.0/8",
        ["ChatCluster:Gateway:TrustedProxies:1"] = "::1",
        ["ChatCluster:Gateway:CountryTablePath"] = table,
        ["ChatCluster:Auth:LoginAttemptsPerMinute"] = "2",
    };
}

/// <summary>Behind trusted proxies the client's own address counts: for the login throttle, the country and the visitor's record.</summary>
public sealed class TrustedProxyTests(TrustedProxyFixture gateway) : IClassFixture<TrustedProxyFixture>
{
    [Fact]
    public async Task The_visitor_is_known_by_the_forwarded_address_and_an_address_the_client_prepended_itself_is_ignored()
    {
        gateway.ThrottleClock.Advance(TimeSpan.FromMinutes(1)); // the owner logs in from the proxy's address: 2 a minute
        var (_, siteKey, owner) = await gateway.FreshTenant("px");
        await using (var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json,
            configure: o => o.SetRequestHeader("X-Forwarded-For", "198.51.100.9, 203.0.113.7"))) // the client wrote the first
        {
            var visitorId = (string)(await visitor.HelloVisitor(siteKey))["visitorId"]!;
            var conversationId = await visitor.StartConversation(name: "Joanna", email: "joanna@example.com");
            await visitor.SendMessage(conversationId, "m-1", "Hallo!");

            var export = await (await gateway.Call(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export", owner)).Json();
            var connection = export["visitor"]!["lastConnection"]!;
            Assert.Equal("203.0.113.7", (string)connection["ipAddress"]!);
            Assert.Equal("NL", (string)connection["country"]!);
            Assert.DoesNotContain("198.51.100.9", export.ToJsonString());
        }
    }

    [Theory]
    [InlineData("not-an-address")]
    [InlineData("203.0.113.7:99999, ,;")]
    public async Task A_malformed_forwarded_address_leaves_the_proxys_own_and_the_socket_works(string forwardedFor)
    {
        gateway.ThrottleClock.Advance(TimeSpan.FromMinutes(1)); // the owner logs in from the proxy's address: 2 a minute
        var (_, siteKey, owner) = await gateway.FreshTenant("pm");
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json,
            configure: o => o.SetRequestHeader("X-Forwarded-For", forwardedFor));
        var visitorId = (string)(await visitor.HelloVisitor(siteKey))["visitorId"]!;
        await visitor.StartConversation(name: "Jo", email: "jo@example.com");
        var export = await (await gateway.Call(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export", owner)).Json();
        Assert.Equal("127.0.0.1", (string)export["visitor"]!["lastConnection"]!["ipAddress"]!);
    }

    [Fact]
    public async Task Logins_are_counted_per_forwarded_client_not_per_proxy()
    {
        var tenant = "pl-" + Ids.Random(6);
        await gateway.CreateTenant(tenant, $"owner@{tenant}.test", "owner-password-1"); // the operator API: not a login
        Task<HttpResponseMessage> Login(string client) => gateway.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/auth/login")
        {
            Content = JsonContent.Create(new { tenantId = tenant, email = $"guess-{Ids.Random(4)}@{tenant}.test", password = "guess" }),
            Headers = { { "X-Forwarded-For", client } },
        });

        Assert.Equal(HttpStatusCode.Unauthorized, (await Login("192.0.2.10")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Login("192.0.2.10")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Login("192.0.2.10")).StatusCode); // that client's 2 a minute are spent
        Assert.Equal(HttpStatusCode.Unauthorized, (await Login("192.0.2.11")).StatusCode); // another client behind the same proxy is not
    }

}

/// <summary>Without configured proxies, a forwarded address is a claim anyone can make: it is ignored.</summary>
[Collection(GatewayCollection.Name)]
public sealed class UntrustedForwardingTests(GatewayFixture gateway)
{
    [Fact]
    public async Task X_forwarded_for_from_an_unconfigured_peer_changes_nothing()
    {
        var owner = await gateway.AgentToken();
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json,
            configure: o => o.SetRequestHeader("X-Forwarded-For", "203.0.113.7"));
        var visitorId = (string)(await visitor.HelloVisitor(gateway.SiteKey))["visitorId"]!;
        await visitor.StartConversation(name: "Jo", email: "jo@example.com");

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", owner);
        var response = await gateway.Http.SendAsync(request);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        Assert.Equal("127.0.0.1", (string)body["visitor"]!["lastConnection"]!["ipAddress"]!);
    }

    [Theory]
    [InlineData("not-an-address")]
    [InlineData("10.0.0.0/99")]
    [InlineData("")]
    public void A_trusted_proxy_that_is_not_an_address_or_network_stops_the_gateway_and_names_the_setting(string entry)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0", ["ChatCluster:Gateway:TrustedProxies:0"] = entry })));
        Assert.Contains("ChatCluster:Gateway:TrustedProxies", ex.Message);
    }
}
