using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Delivery;
using ChatCluster.Gateway.Geo;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Gateway.Operations;
using ChatCluster.Gateway.Presence;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Gateway.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Tests.Transport;

/// <summary>
/// S2: a failure of the gateway's own (here: the presence store throwing while a visitor says hello) is answered
/// with <c>internal_error</c> and a correlation id that is in the log, and the socket stays open.
/// The connection runs on the real gateway's services and cluster, over a loopback socket pair.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class HandlerFailureTests(GatewayFixture gateway)
{
    private sealed class BrokenPresenceStore : IPresenceBus
    {
        public Task Publish(PresenceEntry entry) => throw new InvalidOperationException("the presence store is broken");

        public IReadOnlyCollection<PresenceEntry> Snapshot(string tenantId) => [];

        public bool IsComplete(string tenantId) => true;

        public IDisposable Watch(string tenantId, Action<PresenceEntry> onChange) => new CancellationTokenSource();
    }

    [Fact]
    public async Task An_unexpected_failure_while_handling_a_frame_is_an_internal_error_with_a_logged_correlation_id()
    {
        var sp = gateway.Services;
        var log = new CapturedLog();
        var services = new ChatServices(
            sp.GetRequiredService<IClusterClient>(), sp.GetRequiredService<Feeds>(), sp.GetRequiredService<ConversationHub>(),
            sp.GetRequiredService<DeliveryPressure>(), sp.GetRequiredService<AgentTokens>(),
            new PresenceTracker(new BrokenPresenceStore()), new ConnectionRegistry(), sp.GetRequiredService<GatewayOptions>(),
            new SelfOrigins(), TimeProvider.System, sp.GetRequiredService<GatewayMetrics>(), CountryTable.Empty,
            sp.GetRequiredService<TenantStandings>(), sp.GetRequiredService<ChatCluster.Gateway.Abuse.VisitorQuotas>(), new Logger<ChatConnection>(new LoggerFactory([log])));

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var clientTcp = new TcpClient();
        await clientTcp.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        using var serverTcp = await listener.AcceptTcpClientAsync();
        using var serverSocket = WebSocket.CreateFromStream(serverTcp.GetStream(), new WebSocketCreationOptions { IsServer = true });
        using var client = WebSocket.CreateFromStream(clientTcp.GetStream(), new WebSocketCreationOptions { IsServer = false });
        await using var connection = new ChatConnection(serverSocket, JsonFrameCodec.Instance, services, new ConnectionInfo("127.0.0.1", "test", null), CancellationToken.None);
        var running = connection.Run();

        await Send(client, $$"""{"type":"hello","id":"h1","role":"visitor","siteKey":"{{gateway.SiteKey}}"}""");
        var error = await Receive(client);
        Assert.Equal("internal_error", (string)error["code"]!);
        Assert.Equal("h1", (string)error["id"]!);
        var correlationId = (string)error["correlationId"]!;
        Assert.Contains(correlationId, (string)error["message"]!);
        var logged = Assert.Single(log.Entries, e => e.Message.Contains(correlationId));
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.IsType<InvalidOperationException>(logged.Exception);

        await Send(client, """{"type":"ping","id":"still-there"}""");
        var pong = await Receive(client);
        Assert.Equal("pong", (string)pong["type"]!);
        Assert.Equal(WebSocketState.Open, client.State);

        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        await running.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static Task Send(WebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<JsonObject> Receive(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(ChatClient.DefaultWait);
        var buffer = new byte[64 * 1024];
        var count = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(count), timeout.Token);
            count += result.Count;
        } while (!result.EndOfMessage);
        return JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, count))!.AsObject();
    }
}
