using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatCluster.Gateway.Tests;

/// <summary>A gateway with tight login limits: 8 attempts a minute per address, lockout after 3 failures for 2 s.</summary>
public sealed class TightLoginLimitsFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:Auth:LoginAttemptsPerMinute"] = "8",
        ["ChatCluster:Auth:LoginFailuresBeforeLockout"] = "3",
        ["ChatCluster:Auth:LoginLockout"] = "00:00:02",
    };
}

/// <summary>S2, T2: password guessing is slowed per account and per client address, before any bcrypt check.</summary>
public sealed class LoginThrottleTests(TightLoginLimitsFixture gateway) : IClassFixture<TightLoginLimitsFixture>
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task An_account_is_locked_after_repeated_failures_others_are_not_and_the_lock_ends_by_itself_then_the_address_limit_applies()
    {
        var tenant = "lt-" + Ids.Random(6);
        await gateway.CreateTenant(tenant, $"owner@{tenant}.test", Password); // the operator API: not a login

        for (var i = 0; i < 3; i++)
            await AssertProblem(await Login(tenant, $"owner@{tenant}.test", "wrong-guess-" + i), HttpStatusCode.Unauthorized, "not_authenticated");
        var locked = await Login(tenant, $"OWNER@{tenant}.test", Password); // right password, same account in other case
        var problem = await AssertProblem(locked, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Contains("this account", (string)problem["detail"]!);
        Assert.InRange(int.Parse(locked.Headers.GetValues("Retry-After").Single()), 1, 2);

        // An unknown account of the same tenant is counted on its own; nothing tells it apart from a known one.
        await AssertProblem(await Login(tenant, $"nobody@{tenant}.test", "guess"), HttpStatusCode.Unauthorized, "not_authenticated");

        await Task.Delay(TimeSpan.FromSeconds(2.2));
        Assert.Equal(HttpStatusCode.OK, (await Login(tenant, $"owner@{tenant}.test", Password)).StatusCode); // 6th attempt

        // 8 attempts a minute from one address, right or wrong: the 9th is refused without a password check.
        Assert.Equal(HttpStatusCode.OK, (await Login(tenant, $"owner@{tenant}.test", Password)).StatusCode);
        await AssertProblem(await Login(tenant, $"owner@{tenant}.test", "wrong"), HttpStatusCode.Unauthorized, "not_authenticated");
        var flooded = await Login(tenant, $"owner@{tenant}.test", Password);
        var refused = await AssertProblem(flooded, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Contains("your address", (string)refused["detail"]!);
        Assert.True(flooded.Headers.Contains("Retry-After"));
    }

    private Task<HttpResponseMessage> Login(string tenantId, string email, string password) =>
        gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId, email, password });

    private static async Task<JsonObject> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (string)body["code"]!);
        return body;
    }
}

/// <summary>Bad input to the throttle: names that cannot be accounts are not tracked; nonsense limits stop the start.</summary>
[Collection(GatewayCollection.Name)]
public sealed class LoginThrottleInputTests(GatewayFixture gateway)
{
    [Fact]
    public async Task An_oversized_email_or_a_malformed_tenant_is_refused_like_a_wrong_password_and_not_remembered()
    {
        var throttle = gateway.Services.GetRequiredService<LoginThrottle>();
        var before = throttle.TrackedAccounts;
        var attempts = new (string TenantId, string Email)[]
        {
            ("demo", new string('a', 100_000) + "@example.com"),
            ("NOT A TENANT/../x", "someone@example.com"),
        };
        foreach (var (tenantId, email) in attempts)
        {
            var response = await gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId, email, password = "guess" });
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("not_authenticated", (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);
        }
        Assert.Equal(before, throttle.TrackedAccounts);

        var tracked = await gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId = "demo", email = $"guess-{Ids.Random(6)}@demo.local", password = "guess" });
        Assert.Equal(HttpStatusCode.Unauthorized, tracked.StatusCode);
        Assert.Equal(before + 1, throttle.TrackedAccounts); // a plausible account is counted
    }

    [Theory]
    [InlineData("ChatCluster:Auth:LoginAttemptsPerMinute", "0")]
    [InlineData("ChatCluster:Auth:LoginFailuresBeforeLockout", "-1")]
    [InlineData("ChatCluster:Auth:LoginLockout", "-00:00:01")]
    [InlineData("ChatCluster:Auth:LoginLockout", "00:00:00")]
    [InlineData("ChatCluster:Auth:EnrolmentTokenLifetime", "3.00:00:00")]
    [InlineData("ChatCluster:Auth:TokenLifetime", "00:00:00")]
    public void A_nonsense_limit_stops_the_gateway_and_names_the_setting(string setting, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0", [setting] = value })));
        Assert.Contains(setting, ex.Message);
    }
}
