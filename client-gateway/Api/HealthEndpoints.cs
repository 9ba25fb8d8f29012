namespace ChatCluster.Gateway.Api;

/// <summary><c>GET /health</c>: 200 only when this gateway can reach the cluster.</summary>
public static class HealthEndpoints
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Check).WithTags("Operator");
        return app;
    }

    private static async Task<IResult> Check(IClusterClient grains, Sockets.ConnectionRegistry connections)
    {
        try
        {
            var at = await grains.GetGrain<IClusterProbeGrain>(0).Ping().WaitAsync(ProbeTimeout);
            return Results.Ok(new { status = "healthy", cluster = "reachable", clusterTime = at, connections = connections.Count });
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException or InvalidOperationException)
        {
            return Results.Json(new { status = "unhealthy", cluster = "unreachable", error = ex.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
