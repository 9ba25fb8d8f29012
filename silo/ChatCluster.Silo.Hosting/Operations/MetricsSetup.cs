using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
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

    /// <summary>Maps the scrape endpoint. Metrics carry no personal data (counts and timings only).</summary>
    public static IEndpointConventionBuilder MapChatClusterMetrics(this IEndpointRouteBuilder app) =>
        app.MapPrometheusScrapingEndpoint(ScrapePath);
}
