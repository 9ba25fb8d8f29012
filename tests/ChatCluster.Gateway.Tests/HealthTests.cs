using System.Net;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>Issue 15 item 4: <c>/health</c> is anonymous, so it is rate-limited per client and tells states, not internals.</summary>
[Collection(GatewayCollection.Name)]
public sealed class HealthTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Health_names_states_only_and_a_flood_from_one_address_gets_429_with_retry_after()
    {
        var health = JsonNode.Parse(await gateway.Http.GetStringAsync("/health"))!.AsObject();
        Assert.Equal("healthy", (string?)health["status"]);
        Assert.Equal(["status", "cluster", "postgres", "redis", "connections"], health.Select(p => p.Key));

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => gateway.Http.GetAsync("/health")));
        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal("1", limited[0].Headers.GetValues("Retry-After").Single());
        await limited[0].AssertProblem(HttpStatusCode.TooManyRequests, "rate_limited");
        await Task.Delay(2500); // the allowance refills
        Assert.Equal(HttpStatusCode.OK, (await gateway.Http.GetAsync("/health")).StatusCode);
    }
}
