using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MessagePack;

namespace ChatCluster.Gateway.Tests;

public enum Encoding2
{
    Json,
    MessagePack,
}

/// <summary>
/// A test client that speaks the wire protocol from its documentation, independently of the gateway's
/// own codecs: JSON objects on the test side, transcoded to MessagePack for binary connections.
/// </summary>
public sealed class ChatClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket socket = new();
    private readonly Channel<JsonObject> received = Channel.CreateUnbounded<JsonObject>();
    private readonly List<JsonObject> seen = [];
    private Task? pump;

    private ChatClient(Encoding2 encoding) => Encoding = encoding;

    public Encoding2 Encoding { get; }
    public WebSocketCloseStatus? CloseStatus => socket.CloseStatus;
    public string? CloseDescription => socket.CloseStatusDescription;
    public WebSocketState State => socket.State;

    /// <summary>Every frame received so far, in order (including ones consumed by Next).</summary>
    public IReadOnlyList<JsonObject> Seen { get { lock (seen) return [.. seen]; } }

    /// <param name="invoker">Optional HTTP handler, e.g. one that connects from a chosen loopback address.</param>
    public static async Task<ChatClient> Connect(Uri uri, Encoding2 encoding, string? origin = null, Action<ClientWebSocketOptions>? configure = null,
        HttpMessageInvoker? invoker = null)
    {
        var client = new ChatClient(encoding);
        client.socket.Options.AddSubProtocol(encoding == Encoding2.Json ? "chatcluster.v1.json" : "chatcluster.v1.msgpack");
        if (origin is not null) client.socket.Options.SetRequestHeader("Origin", origin);
        configure?.Invoke(client.socket.Options);
        await client.socket.ConnectAsync(uri, invoker, CancellationToken.None);
        client.pump = Task.Run(client.Pump);
        return client;
    }

    public Task Send(object frame) => SendNode(JsonSerializer2.ToNode(frame));

    public Task SendNode(JsonObject frame)
    {
        var json = frame.ToJsonString();
        return Encoding == Encoding2.Json
            ? SendRaw(System.Text.Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text)
            : SendRaw(MessagePackSerializer.ConvertFromJson(json), WebSocketMessageType.Binary);
    }

    public Task SendRaw(byte[] payload, WebSocketMessageType type) =>
        socket.SendAsync(payload, type, endOfMessage: true, CancellationToken.None);

    /// <summary>The next frame of <paramref name="type"/>; earlier frames of other types are skipped.</summary>
    public async Task<JsonObject> Next(string type, TimeSpan? wait = null)
    {
        using var cts = new CancellationTokenSource(wait ?? DefaultWait);
        try
        {
            while (true)
            {
                var frame = await received.Reader.ReadAsync(cts.Token);
                if ((string?)frame["type"] == type) return frame;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"No '{type}' frame within {(wait ?? DefaultWait).TotalSeconds}s. Seen: {string.Join(" | ", Seen.Select(f => f.ToJsonString()))}. Close: {CloseStatus} {CloseDescription}");
        }
    }

    /// <summary>Waits until the server closes the connection.</summary>
    public async Task<WebSocketCloseStatus?> Closed(TimeSpan? wait = null)
    {
        await pump!.WaitAsync(wait ?? DefaultWait);
        return socket.CloseStatus;
    }

    /// <summary>Drains what is queued right now, without waiting.</summary>
    public List<JsonObject> Drain()
    {
        var list = new List<JsonObject>();
        while (received.Reader.TryRead(out var f)) list.Add(f);
        return list;
    }

    /// <summary>Says hello as a visitor; returns the welcome frame.</summary>
    public async Task<JsonObject> HelloVisitor(string siteKey, string? visitorToken = null)
    {
        await Send(new { type = "hello", id = "h1", role = "visitor", siteKey, visitorToken, pageUrl = "https://shop.example/pricing" });
        return await Next("welcome");
    }

    public async Task<JsonObject> HelloAgent(string token)
    {
        await Send(new { type = "hello", id = "h1", role = "agent", token });
        return await Next("welcome");
    }

    /// <summary>Starts a conversation; returns its id.</summary>
    public async Task<string> StartConversation(string? name = null, string? email = null)
    {
        await Send(new { type = "start", id = "s1", name, email });
        var started = await Next("started");
        return (string)started["conversation"]!["conversationId"]!;
    }

    public async Task<JsonObject> SendMessage(string conversationId, string clientMessageId, string text)
    {
        await Send(new { type = "send", id = clientMessageId, conversationId, clientMessageId, text });
        return await Next("ack");
    }

    private async Task Pump()
    {
        var buffer = new byte[256 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var count = 0;
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, count, buffer.Length - count), CancellationToken.None);
                    count += result.Count;
                } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close) break;
                var json = result.MessageType == WebSocketMessageType.Text
                    ? System.Text.Encoding.UTF8.GetString(buffer, 0, count)
                    : MessagePackSerializer.ConvertToJson(new ReadOnlyMemory<byte>(buffer, 0, count));
                var frame = JsonNode.Parse(json)!.AsObject();
                lock (seen) seen.Add(frame);
                received.Writer.TryWrite(frame);
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            received.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        socket.Dispose();
    }
}

internal static class JsonSerializer2
{
    private static readonly System.Text.Json.JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static JsonObject ToNode(object frame) =>
        frame as JsonObject ?? System.Text.Json.JsonSerializer.SerializeToNode(frame, Options)!.AsObject();

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
