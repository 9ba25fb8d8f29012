using ChatCluster.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace ChatCluster.Grains.Tests;

/// <summary>An in-process Orleans cluster with the silo wired exactly as the embedded default wires it.</summary>
public sealed class ChatGrainCluster : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddChatClusterInMemoryProviders();
            silo.AddChatClusterGrainServices(new ChatSiloOptions(), new ConfigurationBuilder().Build());
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(ChatStreams.Provider));
        builder.ConfigureHost(host => host.Services.AddSingleton(TimeProvider.System));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ChatGrainClusterCollection : ICollectionFixture<ChatGrainCluster>
{
    public const string Name = "chat grains";
}
