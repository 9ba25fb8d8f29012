using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Tests;

namespace ChatCluster.Integration.Tests.Drills;

/// <summary>
/// One open socket of a drill (a widget or an agent console) that keeps sending to the conversations it
/// follows as a well-behaved client does: each message is resent with the same clientMessageId until it is
/// acknowledged, honouring <c>retryAfterMs</c> of <c>unavailable</c>. It never reconnects: a drill checks
/// that open sockets get every acknowledged message by themselves.
/// </summary>
public sealed class ChattingSocket(ChatClient client, string side) : IAsyncDisposable
{
    private static readonly TimeSpan ReplyWait = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim sending = new(1, 1);
    private int frames;

    public ChatClient Client { get; } = client;

    /// <summary>conversation → seq → text, of every message this socket got acknowledged.</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<long, string>> Acknowledged { get; } = new();

    /// <summary>Errors other than <c>unavailable</c> (which a client retries): a drill expects none.</summary>
    public ConcurrentQueue<string> UnexpectedErrors { get; } = new();

    /// <summary>Sends the next line to <paramref name="conversationId"/> and returns once it is acknowledged; throws when <paramref name="giveUp"/> fires first.</summary>
    public async Task SendNext(string conversationId, int number, CancellationToken giveUp)
    {
        var clientMessageId = $"{side}-{number}";
        var text = $"{side} line {number}";
        for (var attempt = 1; !giveUp.IsCancellationRequested; attempt++)
        {
            if (Client.State != WebSocketState.Open) throw new InvalidOperationException($"The {side} socket closed: {Client.CloseStatus} {Client.CloseDescription}");
            var id = $"{clientMessageId}@{conversationId}#{attempt}#{Interlocked.Increment(ref frames)}";
            await sending.WaitAsync(giveUp);
            try
            {
                await Client.Send(new { type = "send", id, conversationId, clientMessageId, text });
            }
            finally
            {
                sending.Release();
            }
            var reply = await SiloFailoverTests.ReplyTo(Client, id, ReplyWait, stopWhenClosed: true);
            switch ((string?)reply?["type"], (string?)reply?["code"])
            {
                case ("ack", _):
                    Acknowledged.GetOrAdd(conversationId, _ => new())[(long)reply!["seq"]!] = text;
                    return;
                case ("error", "unavailable"):
                    await Task.Delay(Math.Clamp((int?)reply!["retryAfterMs"] ?? 500, 50, 2000), giveUp);
                    break;
                case ("error", _):
                    UnexpectedErrors.Enqueue(reply!.ToJsonString());
                    await Task.Delay(500, giveUp);
                    break;
                default:
                    break; // no answer in time: resend, as the widget does
            }
        }
        throw new TimeoutException($"{clientMessageId} to {conversationId} was not acknowledged in time.");
    }

    /// <summary>Sends <paramref name="frame"/> (with a fresh id per attempt) until a reply of <paramref name="replyType"/> answers it, retrying on <c>unavailable</c>.</summary>
    public async Task<JsonObject> Request(Func<string, object> frame, string replyType, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        for (var attempt = 1; DateTime.UtcNow < deadline; attempt++)
        {
            var id = $"{side}-request-{Interlocked.Increment(ref frames)}";
            await sending.WaitAsync();
            try
            {
                await Client.Send(frame(id));
            }
            finally
            {
                sending.Release();
            }
            var until = DateTime.UtcNow + ReplyWait;
            while (DateTime.UtcNow < until)
            {
                var reply = Client.Seen.FirstOrDefault(f => (string?)f["id"] == id && (string?)f["type"] is { } type && (type == replyType || type == "error"));
                if ((string?)reply?["type"] == replyType) return reply!;
                if (reply is not null && (string?)reply["code"] != "unavailable") throw new InvalidOperationException($"{replyType} refused: {reply.ToJsonString()}");
                if (reply is not null) break;
                await Task.Delay(50);
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"No {replyType} within {within.TotalSeconds} s.");
    }

    /// <summary>The sequence numbers of <paramref name="conversationId"/> this socket received, in arrival order (live and history).</summary>
    public List<long> Delivered(string conversationId) => [.. Client.Seen.SelectMany(frame => SeqsOf(frame, conversationId))];

    private static IEnumerable<long> SeqsOf(JsonObject frame, string conversationId)
    {
        // A history frame names its conversation inside "conversation"; events name it at the top.
        var id = (string?)frame["conversationId"] ?? (string?)frame["conversation"]?["conversationId"];
        if (id != conversationId) return [];
        return (string?)frame["type"] switch
        {
            "message" => [(long)frame["seq"]!],
            "history" => frame["messages"]!.AsArray().Select(m => (long)m!["seq"]!),
            _ => [],
        };
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        sending.Dispose();
    }
}
