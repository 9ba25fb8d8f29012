using ChatCluster.Gateway.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Gateway.Tests;

/// <summary>The embedded default needs no settings: not even its Orleans ports, so two of them run side by side.</summary>
public sealed class EmbeddedDefaultTests
{
    [Fact]
    public async Task Two_embedded_gateways_without_port_settings_start_side_by_side_and_each_is_healthy()
    {
        var settings = new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0", ["Logging:LogLevel:Default"] = "Warning" };
        await using var first = GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(settings));
        await using var second = GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(settings));
        await first.StartAsync();
        await second.StartAsync();
        try
        {
            Assert.NotEqual(first.Configuration["ChatCluster:Silo:SiloPort"], second.Configuration["ChatCluster:Silo:SiloPort"]);
            foreach (var app in new[] { first, second })
            {
                var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
                using var http = new HttpClient { BaseAddress = new Uri(address) };
                var health = await http.GetAsync("/health");
                Assert.True(health.IsSuccessStatusCode, await health.Content.ReadAsStringAsync());
            }
        }
        finally
        {
            await second.StopAsync();
            await first.StopAsync();
        }
    }
}
