using System.Net;
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
/// A gateway whose login throttle runs on a fake clock (the rest of the gateway on the real one): a slow machine
/// cannot refill an allowance between two requests, and a test moves time instead of waiting.
/// </summary>
public abstract class FakeLoginClockFixture : GatewayFixture
{
    public FakeTimeProvider ThrottleClock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton(sp => new LoginThrottle(sp.GetRequiredService<AuthOptions>(), ThrottleClock));
}

/// <summary>Tight login limits: 8 attempts a minute per address, lockout after 3 failures for 2 minutes.</summary>
public sealed class TightLoginLimitsFixture : FakeLoginClockFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:Auth:LoginAttemptsPerMinute"] = "8",
        ["ChatCluster:Auth:LoginFailuresBeforeLockout"] = "3",
        ["ChatCluster:Auth:LoginLockout"] = "00:02:00",
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
            await (await Login(tenant, $"owner@{tenant}.test", "wrong-guess-" + i)).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");
        var locked = await Login(tenant, $"OWNER@{tenant}.test", Password); // right password, same account in other case
        var problem = await locked.AssertProblem(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Contains("this account", (string)problem["detail"]!);
        Assert.Equal(120, int.Parse(locked.Headers.GetValues("Retry-After").Single()));

        // An unknown account of the same tenant is counted on its own; nothing tells it apart from a known one.
        await (await Login(tenant, $"nobody@{tenant}.test", "guess")).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");

        gateway.ThrottleClock.Advance(TimeSpan.FromMinutes(2)); // the lock is over; the address got back 16 attempts' worth, up to 8
        for (var i = 0; i < 7; i++) // 7 of the 8
            Assert.Equal(HttpStatusCode.OK, (await Login(tenant, $"owner@{tenant}.test", Password)).StatusCode);
        await (await Login(tenant, $"owner@{tenant}.test", "wrong")).AssertProblem(HttpStatusCode.Unauthorized, "not_authenticated");

        // 8 attempts a minute from one address, right or wrong: the 9th is refused without a password check.
        var flooded = await Login(tenant, $"owner@{tenant}.test", Password);
        var refused = await flooded.AssertProblem(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Contains("your address", (string)refused["detail"]!);
        Assert.Equal(8, int.Parse(flooded.Headers.GetValues("Retry-After").Single())); // one attempt's worth: 60 s / 8, rounded up

        gateway.ThrottleClock.Advance(TimeSpan.FromSeconds(7.5)); // the allowance refills evenly: one attempt back
        Assert.Equal(HttpStatusCode.OK, (await Login(tenant, $"owner@{tenant}.test", Password)).StatusCode);
        await (await Login(tenant, $"owner@{tenant}.test", Password)).AssertProblem(HttpStatusCode.TooManyRequests, "rate_limited");
    }

    private Task<HttpResponseMessage> Login(string tenantId, string email, string password) =>
        gateway.Http.PostAsJsonAsync("/api/auth/login", new { tenantId, email, password });

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

    [Fact]
    public void A_flood_from_many_addresses_is_forgotten_once_their_allowances_have_refilled()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var throttle = new LoginThrottle(new AuthOptions { LoginAttemptsPerMinute = 4 }, clock);
        for (var i = 0; i < LoginThrottle.MaxTrackedAccounts; i++)
            Assert.Null(throttle.Check(new IPAddress(0x0A000000u + (uint)i), "demo", "x"));
        Assert.Equal(LoginThrottle.MaxTrackedAccounts, throttle.TrackedAddresses);

        clock.Advance(TimeSpan.FromSeconds(10)); // not yet refilled: nothing can be dropped, the table stays bounded by what it holds
        Assert.Null(throttle.Check(IPAddress.Parse("192.0.2.1"), "demo", "x"));
        Assert.Equal(LoginThrottle.MaxTrackedAccounts + 1, throttle.TrackedAddresses);

        clock.Advance(TimeSpan.FromMinutes(1)); // every allowance is full again; forgetting them changes no answer
        Assert.Null(throttle.Check(IPAddress.Parse("192.0.2.2"), "demo", "x"));
        Assert.Equal(1, throttle.TrackedAddresses);
    }

    [Fact]
    public void An_ipv6_host_cannot_multiply_its_allowance_by_walking_its_own_64_prefix()
    {
        var throttle = new LoginThrottle(new AuthOptions { LoginAttemptsPerMinute = 2 }, new FakeTimeProvider(DateTimeOffset.UtcNow));
        Assert.Null(throttle.Check(IPAddress.Parse("2001:db8:1:2::1"), "demo", "x"));
        Assert.Null(throttle.Check(IPAddress.Parse("2001:db8:1:2:ffff::9"), "demo", "x"));
        Assert.NotNull(throttle.Check(IPAddress.Parse("2001:db8:1:2:abcd::1"), "demo", "x")); // same /64: third attempt
        Assert.Null(throttle.Check(IPAddress.Parse("2001:db8:1:3::1"), "demo", "x")); // the next /64 is someone else
        Assert.Null(throttle.Check(IPAddress.Parse("::ffff:198.51.100.7"), "demo", "x"));
        Assert.Null(throttle.Check(IPAddress.Parse("198.51.100.7"), "demo", "x"));
        Assert.NotNull(throttle.Check(IPAddress.Parse("198.51.100.7"), "demo", "x")); // mapped and plain IPv4 are one client
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
