using System.Net.WebSockets;
using ChatCluster.Gateway.Tests;
using ChatCluster.Integration.Tests.ClusterMode;

namespace ChatCluster.Integration.Tests.Drills;

/// <summary>
/// A visitor that keeps chatting through a drill, as the widget does: every send is retried with the same
/// clientMessageId until acknowledged; when its gateway says <c>reconnect</c> (or the socket drops) it
/// reconnects to a gateway that is up, says hello with its token and resumes after the last message it saw.
/// It records what was acknowledged and every message delivered to it, across all its sockets.
/// </summary>
public sealed class Conversationalist(string siteKey, Func<RunningGateway> gateway) : IAsyncDisposable
{
    private readonly List<ChatClient> sockets = [];
    private ChatClient client = null!;
    private string token = "";
    private int sent;

    public string ConversationId { get; private set; } = "";

    /// <summary>seq → text of every acknowledged message.</summary>
    public SortedDictionary<long, string> Acknowledged { get; } = [];

    public int Reconnects { get; private set; }
    public bool SawReconnectFrame => sockets.Any(s => s.Seen.Any(f => (string?)f["type"] == "reconnect"));
    public bool SawServiceRestartClose => sockets.Any(s => s.CloseStatus == (WebSocketCloseStatus)1012);

    public async Task Start()
    {
        client = await ChatClient.Connect(gateway().SocketUri, Encoding2.Json);
        sockets.Add(client);
        token = (string)(await client.HelloVisitor(siteKey))["visitorToken"]!;
        ConversationId = await client.StartConversation(name: "Sam");
    }

    /// <summary>Sends the next message and returns once it is acknowledged (bounded).</summary>
    public async Task SendNext()
    {
        var clientMessageId = $"m-{++sent}";
        var text = $"line {sent}";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        for (var attempt = 1; DateTime.UtcNow < deadline; attempt++)
        {
            if (client.State != WebSocketState.Open) await Reconnect();
            var id = $"{clientMessageId}#{attempt}";
            try
            {
                await client.Send(new { type = "send", id, conversationId = ConversationId, clientMessageId, text });
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException)
            {
                continue;
            }
            var reply = await SiloFailoverTests.ReplyTo(client, id, TimeSpan.FromSeconds(15), stopWhenClosed: true);
            if ((string?)reply?["type"] == "ack")
            {
                Acknowledged[(long)reply["seq"]!] = text;
                return;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{clientMessageId} of {ConversationId} was not acknowledged within 60 s.");
    }

    /// <summary>The sequence numbers delivered to this visitor, in arrival order over all its sockets (live and resumed).</summary>
    public List<long> Delivered() => sockets.SelectMany(s => s.Seen).SelectMany(SeqsOf).ToList();

    private IEnumerable<long> SeqsOf(System.Text.Json.Nodes.JsonObject frame)
    {
        // A history frame names its conversation inside "conversation"; events name it at the top.
        var conversationId = (string?)frame["conversationId"] ?? (string?)frame["conversation"]?["conversationId"];
        if (conversationId != ConversationId) return [];
        return (string?)frame["type"] switch
        {
            "message" => [(long)frame["seq"]!],
            "history" => frame["messages"]!.AsArray().Select(m => (long)m!["seq"]!),
            _ => [],
        };
    }

    /// <summary>The whole conversation as a reconnecting client gets it: a fresh socket, hello with the token, resume from 0.</summary>
    public async Task<List<(long Seq, string Text)>> History(Uri socketUri)
    {
        await using var fresh = await ChatClient.Connect(new UriBuilder(socketUri) { Scheme = "ws" }.Uri, Encoding2.Json);
        await fresh.HelloVisitor(siteKey, token);
        await fresh.Send(new { type = "resume", id = "final", conversationId = ConversationId, afterSeq = 0 });
        var history = await fresh.Next("history");
        return [.. history["messages"]!.AsArray().Select(m => ((long)m!["seq"]!, (string)m["text"]!))];
    }

    private async Task Reconnect()
    {
        var last = Delivered().DefaultIfEmpty(0).Max();
        client = await ChatClient.Connect(gateway().SocketUri, Encoding2.Json);
        sockets.Add(client);
        await client.HelloVisitor(siteKey, token);
        await client.Send(new { type = "resume", id = $"r{++Reconnects}", conversationId = ConversationId, afterSeq = last });
        await client.Next("history");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in sockets) await socket.DisposeAsync();
    }
}
