using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Tests;
using ChatCluster.Integration.Tests.ClusterMode;

namespace ChatCluster.Integration.Tests.Drills;

/// <summary>
/// What an operator looks at: <c>/health</c> (PostgreSQL and Redis), <c>/metrics</c> (Prometheus) on a silo
/// process and a gateway, and the Orleans Dashboard behind the operator key.
/// </summary>
public sealed class OperatorEndpointsTests(OperatorCluster operated) : IClassFixture<OperatorCluster>
{
    private readonly SiloProcess silo = operated.Silo;
    private readonly RunningGateway gateway = operated.Gateway;
    private readonly RedisServer redis = operated.Redis;

    [Fact]
    public async Task Health_of_silo_and_gateway_reports_PostgreSQL_and_Redis_and_a_Redis_outage_degrades_the_gateway()
    {
        using var http = new HttpClient();
        var siloHealth = await http.GetFromJsonAsync<JsonObject>(silo.HealthUri);
        Assert.Equal("healthy", (string)siloHealth!["status"]!);
        Assert.Equal("reachable", (string)siloHealth["postgres"]!);
        Assert.Equal("not used", (string)siloHealth["redis"]!);

        var gatewayHealth = await gateway.Http.GetFromJsonAsync<JsonObject>("/health");
        Assert.Equal("healthy", (string)gatewayHealth!["status"]!);
        Assert.Equal("reachable", (string)gatewayHealth["postgres"]!);
        Assert.Equal("reachable", (string)gatewayHealth["redis"]!);

        await redis.Kill();
        using var restart = new RedisRestart(redis);
        var degraded = await gateway.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, degraded.StatusCode);
        var body = await degraded.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("degraded", (string)body!["status"]!);
        Assert.Equal("unreachable", (string)body["redis"]!);
        Assert.Equal("reachable", (string)body["postgres"]!);
    }

    [Fact]
    public async Task Metrics_after_a_chat_count_connections_accepted_messages_delivery_latency_activations_and_memory()
    {
        var siteKey = await gateway.CreateTenant("metered", "owner@metered.test", "metered-password-1");
        var owner = await DrillCluster.Login(gateway, "metered", "owner@metered.test", "metered-password-1");
        await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await agent.HelloAgent(owner);
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation();
        await agent.Send(new { type = "join", id = "j1", conversationId });
        await agent.Next("history");
        for (var i = 1; i <= 3; i++)
        {
            var ack = await visitor.SendMessage(conversationId, $"m-{i}", $"hello {i}");
            await Wait.Message(agent, (long)ack["seq"]!);
        }
        await visitor.SendMessage(conversationId, "m-3", "hello 3"); // a resend is not a new message

        var metrics = await Scrape(gateway.Http, new Uri(gateway.BaseUri, "metrics"),
            m => Value(m, "chatcluster_gateway_messages_accepted_total") >= 3 && Value(m, "chatcluster_gateway_delivery_latency_milliseconds_count") >= 3);
        // The gateway meter is process-wide: other test classes' gateways in this test process count into the same
        // instruments, and of several connection gauges only one is exported. So: at least our messages, and the gauge
        // is there; this gateway's own socket count comes from /health. (One gateway per process in production; that
        // a resend is no new message is tested on the grain.)
        Assert.True(Value(metrics, "chatcluster_gateway_messages_accepted_total") >= 3, metrics);
        Assert.Contains("chatcluster_gateway_connections{", metrics);
        var health = await gateway.Http.GetFromJsonAsync<JsonObject>("/health");
        Assert.True((int)health!["connections"]! >= 2, health.ToJsonString());
        var delivered = Value(metrics, "chatcluster_gateway_delivery_latency_milliseconds_count");
        var latency = Value(metrics, "chatcluster_gateway_delivery_latency_milliseconds_sum") / delivered;
        Assert.InRange(latency, 0, 5000);
        Assert.Contains("chatcluster_gateway_delivery_latency_milliseconds_bucket{", metrics);
        Assert.True(Value(metrics, "dotnet_process_memory_working_set_bytes") > 10_000_000, metrics);

        using var http = new HttpClient();
        var siloMetrics = await Scrape(http, new Uri($"http://127.0.0.1:{silo.HttpPort}/metrics"), m => Value(m, "orleans_catalog_activations") > 0);
        Assert.True(Value(siloMetrics, "orleans_catalog_activations") >= 3, "conversation, visitor and tenant grains are active");
        Assert.True(Value(siloMetrics, "dotnet_process_memory_working_set_bytes") > 10_000_000, siloMetrics);
    }

    [Fact]
    public async Task The_Orleans_Dashboard_answers_only_with_the_operator_key()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.Http.GetAsync("/dashboard/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.Http.GetAsync("/dashboard/DashboardCounters")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.Http.GetAsync("/dashboard/ClusterStats?operatorKey=wrong")).StatusCode);

        using var withHeader = new HttpRequestMessage(HttpMethod.Get, "/dashboard/DashboardCounters");
        withHeader.Headers.Add("X-Operator-Key", ClusterModeFixture.OperatorKey);
        var counters = await gateway.Http.SendAsync(withHeader);
        Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
        Assert.True((await counters.Content.ReadFromJsonAsync<JsonObject>())!.ContainsKey("totalActiveHostCount"));

        // A browser: the key once in the address bar, then a path-scoped HttpOnly cookie for the dashboard's own calls.
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = gateway.BaseUri };
        var page = await browser.GetAsync($"/dashboard/?operatorKey={ClusterModeFixture.OperatorKey}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("text/html", page.Content.Headers.ContentType?.ToString());
        var cookie = Assert.Single(page.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/dashboard", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(ClusterModeFixture.OperatorKey, cookie);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/dashboard/DashboardCounters")).StatusCode);
    }

    /// <summary>Scrapes until <paramref name="ready"/> holds (the exporter caches a scrape briefly), then returns the text.</summary>
    private static async Task<string> Scrape(HttpClient http, Uri uri, Func<string, bool> ready)
    {
        var text = "";
        await Wait.Until(async () =>
        {
            text = await http.GetStringAsync(uri);
            return ready(text);
        }, $"{uri} to show the expected metrics", TimeSpan.FromSeconds(30));
        return text;
    }

    /// <summary>The sum of all series of <paramref name="name"/> (every label set) in Prometheus text format.</summary>
    private static double Value(string metrics, string name) => metrics.Split('\n')
        .Where(line => line.StartsWith(name + " ", StringComparison.Ordinal) || line.StartsWith(name + "{", StringComparison.Ordinal))
        .Sum(line => double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture));
}

/// <summary>One silo process and one gateway (with Redis presence) shared by the operator tests.</summary>
public sealed class OperatorCluster : IAsyncLifetime
{
    private DrillCluster cluster = null!;

    public RedisServer Redis { get; } = new();
    public SiloProcess Silo { get; private set; } = null!;
    public RunningGateway Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Redis.Start();
        cluster = await DrillCluster.Create();
        Silo = (await cluster.StartSilos(1))[0];
        Gateway = await cluster.StartGateway(Redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await cluster.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

/// <summary>Starts a killed Redis again when the test ends, pass or fail, for the tests that share it.</summary>
internal sealed class RedisRestart(RedisServer redis) : IDisposable
{
    public void Dispose() => redis.Start().GetAwaiter().GetResult();
}
