using ChatCluster.Grains.Integrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace ChatCluster.Silo.Hosting.Webhooks;

public static class WebhookSetup
{
    /// <summary>Webhook delivery (I2): options checked at start, the HTTP sender, and the queue in memory unless PostgreSQL registered its own.</summary>
    public static ISiloBuilder AddChatWebhooks(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = ValidatedSection.Read<WebhookOptions>(configuration, WebhookOptions.Section, o => o.Problems());
        silo.Services.AddSingleton(Options.Create(options));
        silo.Services.TryAddSingleton<IWebhookSender, HttpWebhookSender>();
        silo.Services.TryAddSingleton<IWebhookQueue, InMemoryWebhookQueue>();
        return silo;
    }
}
