using System.Text.Json.Nodes;
using ChatCluster.Conversations;
using ChatCluster.Gateway.Sockets;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Gateway.Tests.Transport;

/// <summary>
/// A client that stops reading while its conversation keeps talking: the gateway queues a bounded number of frames,
/// and once it is closing, a send stuck on its full TCP window is cut off at the close deadline.
/// The connection leaves the registry: a reader that never reads costs nothing for ever. (The default heartbeat of
/// 20 s and idle timeout of 75 s are far off: what closes it here is its full queue.)
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SlowReaderTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_client_that_never_reads_is_cut_off_and_leaves_no_connection_behind()
    {
        var registry = gateway.Services.GetRequiredService<ConnectionRegistry>();
        var before = registry.Count;
        var stalled = await RawWebSocket.Connect(gateway.SocketUri);
        await stalled.SendText($$"""{"type":"hello","id":"h","role":"visitor","siteKey":"{{gateway.SiteKey}}"}""");
        var welcome = (await NextText(stalled)).AsObject();
        await stalled.SendText("""{"type":"start","id":"s"}""");
        string? conversationId = null;
        while (conversationId is null)
        {
            var frame = (await NextText(stalled));
            if ((string?)frame["type"] == "started") conversationId = (string)frame["conversation"]!["conversationId"]!;
        }
        Assert.Equal(before + 1, registry.Count);

        // From here the client reads nothing. Its own conversation posts 16 KB messages: about 19 MB, more than the
        // TCP buffers hold, fewer than the queue limit (1,024 frames) on top of them, so the gateway's writer is stuck
        // in a send. Then the client says goodbye (a close frame) and still reads nothing: the reader ends, and only
        // the close deadline can end the stuck send.
        var tenant = (string)welcome["tenantId"]!;
        var me = new Participant(ParticipantKind.Visitor, (string)welcome["visitorId"]!, null);
        var conversation = gateway.Services.GetRequiredService<IClusterClient>().GetGrain<IConversationGrain>(GrainKeys.Scoped(tenant, conversationId));
        var text = new string('x', MessageLimits.MaxTextBytes);
        for (var sent = 0; sent < 1200; sent++) await conversation.Send(me, "slow-" + sent, text);
        await Task.Delay(500);
        await stalled.Write(RawWebSocket.CloseFrame(1000));
        for (var i = 0; i < 150 && registry.Count > before; i++) await Task.Delay(100);

        Assert.True(registry.Count == before, "a connection whose send is stuck is still registered 15 s after its reader ended");
        await stalled.DisposeAsync();
    }

    private static async Task<JsonNode> NextText(RawWebSocket socket)
    {
        while (true)
        {
            var frame = await socket.Next() ?? throw new InvalidOperationException("the gateway closed the connection");
            if (frame.Opcode == WireFrame.Text) return JsonNode.Parse(frame.Text8)!;
        }
    }
}
