using ChatCluster.Silo.Hosting.Database;
using ChatCluster.Silo.Hosting.Operations;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// <c>GET /health</c>: 200 only when this gateway can reach the cluster. With Redis presence configured
/// it also reports Redis; Redis being down makes the gateway <c>degraded</c> (still 200: chat works,
/// presence does not cross gateways) rather than unhealthy. PostgreSQL (where a Client-mode gateway finds
/// the silos) is reported the same way: unreachable makes the gateway <c>degraded</c>, it keeps routing to the
/// silos it knows.
/// </summary>
public static class HealthEndpoints
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Check).WithTags("Operator").Produces<HealthReport>().Produces<HealthReport>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>What <c>/health</c> says; the time and connection count when the cluster answered, the error when it did not.</summary>
    public sealed record HealthReport(string Status, string Cluster, string Postgres, string Redis)
    {
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public DateTimeOffset? ClusterTime { get; init; }

        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public int? Connections { get; init; }

        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public string? Error { get; init; }
    }

    private static async Task<IResult> Check(IClusterClient grains, Sockets.ConnectionRegistry connections, IServiceProvider services, IConfiguration configuration)
    {
        var redisBus = services.GetService<Presence.RedisPresenceBus>();
        var postgresCheck = PostgresProbe.Check(configuration[PostgresOptions.ConnectionStringKey], ProbeTimeout);
        var redisUp = redisBus is null ? (bool?)null : await redisBus.Ping(ProbeTimeout) is not null;
        var postgres = await postgresCheck;
        var redis = redisUp switch { null => "not configured", true => "reachable", false => "unreachable" };
        try
        {
            var at = await grains.GetGrain<IClusterProbeGrain>(0).Ping().WaitAsync(ProbeTimeout);
            var status = redisUp == false || postgres == PostgresProbe.Unreachable ? "degraded" : "healthy";
            return Results.Ok(new HealthReport(status, "reachable", postgres, redis) { ClusterTime = at, Connections = connections.Count });
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or InvalidOperationException)
        {
            return Results.Json(new HealthReport("unhealthy", "unreachable", postgres, redis) { Error = ex.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
