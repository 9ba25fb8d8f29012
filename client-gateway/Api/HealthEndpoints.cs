using System.Net;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Sockets;
using ChatCluster.Silo.Hosting.Database;
using ChatCluster.Silo.Hosting.Operations;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// <c>GET /health</c>: 200 only when this gateway can reach the cluster. With Redis presence configured
/// it also reports Redis; Redis being down makes the gateway <c>degraded</c> (still 200: chat works,
/// presence does not cross gateways) rather than unhealthy. PostgreSQL (where a Client-mode gateway finds
/// the silos) is reported the same way: unreachable makes the gateway <c>degraded</c>, it keeps routing to the
/// silos it knows. The endpoint is anonymous (issue 15): callers asking at once share one probe, PostgreSQL is
/// probed over a small pool, each client address may ask <see cref="PerAddressPerSecond"/> times a second (else
/// 429 with Retry-After), and the answer names states, never exception messages.
/// </summary>
public static class HealthEndpoints
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    public const int PerAddressPerSecond = 5;

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Check).WithTags("Operator").Produces<HealthReport>().Produces<HealthReport>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> Check(HealthProbe probe, HttpContext http)
    {
        if (!probe.Admit(http.Connection.RemoteIpAddress))
        {
            http.Response.Headers.RetryAfter = "1";
            return ProblemMapping.Problem(ErrorCodes.RateLimited, $"At most {PerAddressPerSecond} health checks a second per client.");
        }
        var report = await probe.Check();
        return report.Status == "unhealthy"
            ? Results.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Ok(report);
    }
}

/// <param name="Connections">This gateway's open sockets (the load tests and operators read it).</param>
public sealed record HealthReport(string Status, string Cluster, string Postgres, string Redis, int Connections);

/// <summary>One probe at a time for all callers; a per-address allowance in front of it.</summary>
public sealed class HealthProbe(IClusterClient grains, ConnectionRegistry connections, IServiceProvider services, IConfiguration configuration, TimeProvider time)
{
    private readonly BoundedTable<TokenBucket> callers = new(10_000);
    private readonly Lock gate = new();
    private Task<HealthReport>? running;

    public bool Admit(IPAddress? address)
    {
        var now = time.GetUtcNow();
        callers.MakeRoom(now, bucket => { lock (bucket) return bucket.IsFull; });
        var bucket = callers.Entries.GetOrAdd(ClientAddress.Key(address), _ => new TokenBucket(HealthEndpoints.PerAddressPerSecond, 2 * HealthEndpoints.PerAddressPerSecond, time));
        lock (bucket) return bucket.TryTake(out _);
    }

    /// <summary>The running probe, or a new one when none runs: a burst of callers costs one probe.</summary>
    public Task<HealthReport> Check()
    {
        lock (gate)
        {
            if (running is null || running.IsCompleted) running = Run();
            return running;
        }
    }

    private async Task<HealthReport> Run()
    {
        var redisBus = services.GetService<Presence.RedisPresenceBus>();
        var postgresCheck = PostgresProbe.Check(configuration[PostgresOptions.ConnectionStringKey], HealthEndpoints.ProbeTimeout);
        var redisUp = redisBus is null ? (bool?)null : await redisBus.Ping(HealthEndpoints.ProbeTimeout) is not null;
        var postgres = await postgresCheck;
        var redis = redisUp switch { null => "not configured", true => "reachable", false => "unreachable" };
        try
        {
            await grains.GetGrain<IClusterProbeGrain>(0).Ping().WaitAsync(HealthEndpoints.ProbeTimeout);
            var status = redisUp == false || postgres == PostgresProbe.Unreachable ? "degraded" : "healthy";
            return new HealthReport(status, "reachable", postgres, redis, connections.Count);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or InvalidOperationException)
        {
            return new HealthReport("unhealthy", "unreachable", postgres, redis, connections.Count);
        }
    }
}
