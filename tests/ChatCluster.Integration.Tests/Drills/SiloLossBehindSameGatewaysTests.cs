using System.Collections.Concurrent;
using ChatCluster.Gateway.Tests;
using ChatCluster.Integration.Tests.ClusterMode;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Integration.Tests.Drills;

/// <summary>
/// C7: a silo can die without the gateway's count of cluster gateways changing (here: a silo that runs no gateway
/// port), so the Orleans client's gateway-count notification never fires; events queued on its streams are lost
/// all the same. The gateway notices the silo leaving the cluster manifest and resynchronises its sockets.
/// </summary>
public sealed class SiloLossBehindSameGatewaysTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> resyncLog = new();
    private DrillCluster cluster = null!;

    public async Task InitializeAsync()
    {
        cluster = await DrillCluster.Create();
        await cluster.StartSilos(1);
        await cluster.StartSilos(1, new Dictionary<string, string> { ["ChatCluster:Silo:GatewayPort"] = "0" });
        await cluster.StartGateway(configure: b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:ChatCluster.Gateway.Delivery"] = "Information" });
            b.Logging.AddProvider(new Recorder(resyncLog));
        });
    }

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task A_silo_without_a_gateway_dying_makes_the_gateway_resynchronise_its_sockets()
    {
        var gateway = cluster.Gateways[0];
        var siteKey = await gateway.CreateTenant("behind", "owner@behind.test", "behind-password-1");
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await visitor.HelloVisitor(siteKey);
        var conversationId = await visitor.StartConversation();
        await visitor.SendMessage(conversationId, "m-1", "hello");

        var gatewayless = cluster.Silos[1];
        // The gateway's manifest lists the silo within a refresh or two; only then can it miss it.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await gatewayless.Kill();

        await Wait.Until(() => Task.FromResult(resyncLog.Any(line => line.Contains("left the cluster"))),
            "the gateway to notice the silo leaving and resynchronise", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(resyncLog, line => line.Contains("Cluster gateways"));

        // The chat goes on over the surviving silo (resent until acknowledged, as the widget does), on the same socket.
        var chatting = new ChattingSocket(visitor, "v");
        using var within = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await chatting.SendNext(conversationId, 2, within.Token);
        Assert.Equal([2L], chatting.Acknowledged[conversationId].Keys);
        await Wait.Message(visitor, 2);
    }

    /// <summary>Keeps what the gateway's resync components log.</summary>
    private sealed class Recorder(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => categoryName.StartsWith("ChatCluster.Gateway.Delivery", StringComparison.Ordinal)
            ? new Lines(lines)
            : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class Lines(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception));
        }
    }
}
