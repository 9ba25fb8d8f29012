using ChatCluster.Silo.Hosting;

namespace ChatCluster.Gateway.Hosting;

/// <summary>
/// How the gateway reaches the grains: the one switch between the embedded default (a silo in this
/// process) and cluster mode (a pure Orleans client). Everything above this uses <see cref="IClusterClient"/>.
/// </summary>
public static class ClusterConnection
{
    public static WebApplicationBuilder AddChatClusterConnection(this WebApplicationBuilder builder, GatewayOptions options)
    {
        switch (options.Mode)
        {
            case ClusterMode.Embedded:
                builder.UseOrleans(silo => silo.AddChatClusterSilo(builder.Configuration));
                break;
            case ClusterMode.Client:
                var silo = builder.Configuration.GetSection(ChatSiloOptions.Section).Get<ChatSiloOptions>() ?? new ChatSiloOptions();
                builder.UseOrleansClient(client =>
                {
                    client.UseLocalhostClustering(silo.GatewayPort, silo.ServiceId, silo.ClusterId);
                    client.AddMemoryStreams(ChatStreams.Provider);
                });
                break;
        }
        return builder;
    }
}
