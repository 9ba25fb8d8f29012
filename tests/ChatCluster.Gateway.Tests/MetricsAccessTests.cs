using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ChatCluster.Gateway.Tests;

/// <summary>A gateway whose metrics are for the scraper holding the token only.</summary>
public sealed class ScrapeTokenGatewayFixture : GatewayFixture
{
    public const string Token = "scrape-token-0123456789";

    protected override Dictionary<string, string?> Settings => new() { ["ChatCluster:Metrics:ScrapeToken"] = Token };
}

/// <summary>/metrics with a scrape token: the scraper gets the numbers, anyone else a 401 problem.</summary>
public sealed class MetricsAccessTests(ScrapeTokenGatewayFixture gateway) : IClassFixture<ScrapeTokenGatewayFixture>
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token")]
    [InlineData("Bearer scrape-token-0123456789x")]
    [InlineData("Basic c2NyYXBlLXRva2Vu")]
    public async Task Without_the_token_metrics_answer_401_not_authenticated(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var response = await gateway.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("not_authenticated", (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);
    }

    [Fact]
    public async Task With_the_token_the_scraper_gets_the_metrics()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ScrapeTokenGatewayFixture.Token);
        var response = await gateway.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("# TYPE", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_stays_open_for_load_balancers()
    {
        Assert.Equal(HttpStatusCode.OK, (await gateway.Http.GetAsync("/health")).StatusCode);
    }
}
