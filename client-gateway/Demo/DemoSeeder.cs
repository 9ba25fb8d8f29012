using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Gateway.Sockets;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Demo;

/// <summary>
/// Embedded mode only: seeds a demo tenant (site key, allowed origins) and one agent, then says in the
/// log where to click and how to log in.
/// </summary>
public sealed class DemoSeeder(
    IClusterClient grains,
    DemoOptions demo,
    GatewayOptions gateway,
    SelfOrigins self,
    IHostApplicationLifetime lifetime,
    ILogger<DemoSeeder> logger) : BackgroundService
{
    public TenantInfo? Tenant { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var _ = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);

        var password = string.IsNullOrEmpty(demo.AgentPassword) ? Ids.Random(8) : demo.AgentPassword;
        var tenantGrain = grains.GetGrain<ITenantGrain>(demo.TenantId);
        var tenant = await tenantGrain.GetInfo();
        if (tenant is null)
        {
            var owner = new NewAgent(demo.AgentEmail, "Demo Agent", AgentRole.Owner, Passwords.Hash(password));
            tenant = await tenantGrain.Create(new NewTenant("Demo Shop", [.. self.All, .. demo.AllowedOrigins], owner));
        }
        Tenant = tenant;

        var url = self.All.FirstOrDefault() ?? "http://localhost:5080";
        logger.LogInformation(
            """
            ChatCluster is running (embedded mode: one process, in-memory, nothing to install).
              Open the demo site:    {Url}/
              Agent console:         {Url}/agent/   tenant: {Tenant}   email: {Email}   password: {Password}
              Widget site key:       {SiteKey}
              Operator key:          {OperatorKey}   (X-Operator-Key header for /api/tenants)
            """,
            url, url, tenant.TenantId, demo.AgentEmail, password, tenant.SiteKey, gateway.OperatorKey);
    }
}
