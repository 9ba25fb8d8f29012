using ChatCluster.Gateway.Presence;
using ChatCluster.Routing;

namespace ChatCluster.Gateway.Routing;

/// <summary>
/// Tells each tenant's <see cref="IAgentRoutingGrain"/> which agents are online on this gateway (T3). It sits in
/// front of the presence bus: every local presence change of an agent passes through <see cref="Publish"/>, and
/// is reported before the socket's hello is answered, so a conversation started right after an agent connected
/// can already be routed to them. A timer re-sends the full local picture (<see cref="AgentAvailabilityHeartbeat"/>).
/// </summary>
public sealed class AgentAvailabilityReporter(IPresenceBus inner, IClusterClient grains, ILogger<AgentAvailabilityReporter> logger) : IPresenceBus
{
    /// <summary>This gateway process, as routing grains know it.</summary>
    public string GatewayId { get; } = "gw-" + Ids.Random(10);

    public async Task Publish(PresenceEntry entry)
    {
        await inner.Publish(entry);
        if (entry.Scope != PresenceScope.Agent) return;
        try
        {
            await grains.GetGrain<IAgentRoutingGrain>(entry.TenantId).SetAvailability(GatewayId, entry.SubjectId, entry.Status);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            // Presence must not fail because routing is slow; the next heartbeat corrects routing.
            logger.LogWarning(ex, "Reporting agent presence to routing failed for tenant {Tenant}", entry.TenantId);
        }
    }

    public IReadOnlyCollection<PresenceEntry> Snapshot(string tenantId) => inner.Snapshot(tenantId);

    public bool IsComplete(string tenantId) => inner.IsComplete(tenantId);

    public IDisposable Watch(string tenantId, Action<PresenceEntry> onChange) => inner.Watch(tenantId, onChange);
}

/// <summary>Every <see cref="RoutingLimits.ReportInterval"/>, re-sends this gateway's agents to each tenant's routing grain.</summary>
public sealed class AgentAvailabilityHeartbeat(
    PresenceTracker presence, AgentAvailabilityReporter reporter, IClusterClient grains, ILogger<AgentAvailabilityHeartbeat> logger) : BackgroundService
{
    private readonly HashSet<string> reportedTenants = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RoutingLimits.ReportInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var byTenant = presence.LocalEntries().Where(e => e.Scope == PresenceScope.Agent)
                .GroupBy(e => e.TenantId).ToDictionary(g => g.Key, g => g.Select(e => new AgentAvailability(e.SubjectId, e.Status)).ToList());
            // Tenants whose last agent left this gateway get one empty report, then no more.
            foreach (var tenant in reportedTenants.Except(byTenant.Keys).ToList())
            {
                byTenant[tenant] = [];
                reportedTenants.Remove(tenant);
            }
            foreach (var (tenant, agents) in byTenant)
            {
                if (agents.Count > 0) reportedTenants.Add(tenant);
                try
                {
                    await grains.GetGrain<IAgentRoutingGrain>(tenant).ReportGateway(reporter.GatewayId, agents);
                }
                catch (Exception ex) when (ex is TimeoutException or OrleansException)
                {
                    logger.LogWarning(ex, "Routing heartbeat failed for tenant {Tenant}", tenant);
                }
            }
        }
    }
}

public static class RoutingSetup
{
    /// <summary>Puts the routing reporter in front of the presence bus chosen by <see cref="PresenceSetup"/>; call after it.</summary>
    public static IServiceCollection AddAgentRouting(this IServiceCollection services)
    {
        var bus = services.Last(d => d.ServiceType == typeof(IPresenceBus));
        services.Remove(bus);
        services.AddSingleton(sp => new AgentAvailabilityReporter(
            bus.ImplementationFactory?.Invoke(sp) as IPresenceBus ?? (IPresenceBus)ActivatorUtilities.CreateInstance(sp, bus.ImplementationType!),
            sp.GetRequiredService<IClusterClient>(), sp.GetRequiredService<ILogger<AgentAvailabilityReporter>>()));
        services.AddSingleton<IPresenceBus>(sp => sp.GetRequiredService<AgentAvailabilityReporter>());
        services.AddHostedService<AgentAvailabilityHeartbeat>();
        return services;
    }
}
