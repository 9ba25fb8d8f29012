using ChatCluster.Silo.Hosting.Database;
using Npgsql;

namespace ChatCluster.Silo;

/// <summary>
/// <c>GET /health</c> of a standalone silo: 200 while the silo can reach PostgreSQL (in Postgres
/// mode), 503 otherwise, so an orchestrator stops sending work to a silo cut off from its database.
/// Silos do not use Redis (presence is the gateways' business), so <c>redis</c> is always <c>not used</c>.
/// </summary>
internal static class SiloHealth
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);
    private const string NotUsed = "not used";

    public static IEndpointRouteBuilder MapSiloHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Check);
        return app;
    }

    private static async Task<IResult> Check(IServiceProvider services)
    {
        var postgres = services.GetService<PostgresConnectionBudget>();
        if (postgres is null) return Results.Ok(new { status = "healthy", storage = "memory", redis = NotUsed });
        try
        {
            using var timeout = new CancellationTokenSource(ProbeTimeout);
            await using var connection = new NpgsqlConnection(postgres.Maintenance); // within the silo's connection budget
            await connection.OpenAsync(timeout.Token);
            await using var ping = new NpgsqlCommand("SELECT 1", connection);
            await ping.ExecuteScalarAsync(timeout.Token);
            return Results.Ok(new { status = "healthy", storage = "postgres", postgres = "reachable", redis = NotUsed });
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return Results.Json(
                new { status = "unhealthy", storage = "postgres", postgres = "unreachable", redis = NotUsed, error = ex.GetType().Name },
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
