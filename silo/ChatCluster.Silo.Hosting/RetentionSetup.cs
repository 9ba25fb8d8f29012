using ChatCluster.Grains.Privacy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace ChatCluster.Silo.Hosting;

/// <summary>Wires retention (R1): the <c>ChatCluster:Retention</c> bounds, validated at start-up, and the reminder clock.</summary>
public static class RetentionSetup
{
    public static ISiloBuilder AddChatRetention(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = ValidatedSection.Read<RetentionOptions>(configuration, RetentionOptions.Section, o => o.Problems());

        silo.Services.AddSingleton(Options.Create(options));
        silo.Services.AddSingleton<RetentionClock>();
        if (options.CheckInterval < TimeSpan.FromMinutes(1))
        {
            // Orleans refuses reminder periods under a minute by default; a demo or test that asks for
            // second-scale checks gets them (Orleans logs that this is unfit for production).
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = o.MinimumReminderPeriod < options.CheckInterval ? o.MinimumReminderPeriod : options.CheckInterval);
        }
        return silo;
    }
}
