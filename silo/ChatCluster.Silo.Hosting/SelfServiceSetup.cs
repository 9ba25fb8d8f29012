using ChatCluster.Grains.Privacy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace ChatCluster.Silo.Hosting;

/// <summary>Wires the R5 self-service limits (<c>ChatCluster:SelfService</c>), validated at start-up.</summary>
public static class SelfServiceSetup
{
    public static ISiloBuilder AddChatSelfService(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = ValidatedSection.Read<SelfServiceOptions>(configuration, SelfServiceOptions.Section, o => o.Problems());
        silo.Services.AddSingleton(Options.Create(options));
        return silo;
    }
}
