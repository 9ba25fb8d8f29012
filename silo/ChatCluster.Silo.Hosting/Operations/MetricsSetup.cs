using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ChatCluster.Silo.Hosting.Operations;

/// <summary>
/// OpenTelemetry metrics with a Prometheus scrape endpoint (<c>GET /metrics</c>) for silos and gateways:
/// Orleans' own instruments (activations, messaging, membership), the .NET runtime's (process memory, GC,
/// thread pool) and the meters a process adds (the gateway's <c>ChatCluster.Gateway</c>).
/// Metric names: docs/architecture.md, "Operating".
/// </summary>
public static class MetricsSetup
{
    /// <summary>Orleans publishes its instruments on this meter.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>The runtime's built-in meter (.NET 9+): <c>dotnet.process.memory.working_set</c>, GC, thread pool.</summary>
    public const string RuntimeMeter = "System.Runtime";

    public const string ScrapePath = "/metrics";

    public static IServiceCollection AddChatClusterMetrics(this IServiceCollection services, string serviceName, params string[] meters)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddMeter(OrleansMeter, RuntimeMeter)
                .AddMeter(meters)
                .AddPrometheusExporter());
        return services;
    }

    /// <summary>A secret the scraper sends as <c>Authorization: Bearer …</c>; without it <c>/metrics</c> is open.</summary>
    public const string ScrapeTokenKey = "ChatCluster:Metrics:ScrapeToken";

    /// <summary>
    /// Maps the scrape endpoint. Metrics carry no personal data (counts and timings only), but they show load and
    /// team activity; with <see cref="ScrapeTokenKey"/> set, only a scraper presenting it gets them.
    /// </summary>
    public static IEndpointConventionBuilder MapChatClusterMetrics(this IEndpointRouteBuilder app)
    {
        var token = app.ServiceProvider.GetRequiredService<IConfiguration>()[ScrapeTokenKey];
        if (string.IsNullOrEmpty(token)) return app.MapPrometheusScrapingEndpoint(ScrapePath);
        var expected = Encoding.UTF8.GetBytes("Bearer " + token);
        return app.MapPrometheusScrapingEndpoint(ScrapePath, meterProvider: null, optionsName: null, configureBranchedPipeline: branch => branch.Use(async (context, next) =>
        {
            var given = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
            if (CryptographicOperations.FixedTimeEquals(given, expected))
            {
                await next(context);
                return;
            }
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Results.Problem(
                title: "Not authenticated",
                detail: $"Send the scrape token ({ScrapeTokenKey}) as 'Authorization: Bearer <token>'.",
                statusCode: StatusCodes.Status401Unauthorized,
                extensions: new Dictionary<string, object?> { ["code"] = "not_authenticated" }).ExecuteAsync(context);
        }));
    }
}
