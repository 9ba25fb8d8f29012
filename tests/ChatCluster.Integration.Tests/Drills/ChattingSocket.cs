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

    /// <summary>Sends the next line to <paramref name="conversationId"/> and returns once it is acknowledged.</summary>
    public async Task SendNext(string conversationId, int number, CancellationToken stop)
    {
        var clientMessageId = $"{side}-{number}";
        var text = $"{side} line {number}";
        for (var attempt = 1; !stop.IsCancellationRequested; attempt++)
        {
            if (Client.State != WebSocketState.Open) throw new InvalidOperationException($"The {side} socket closed: {Client.CloseStatus} {Client.CloseDescription}");
            var id = $"{clientMessageId}@{conversationId}#{attempt}#{Interlocked.Increment(ref frames)}";
            await sending.WaitAsync(stop);
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
                    await Task.Delay(Math.Clamp((int?)reply!["retryAfterMs"] ?? 500, 50, 2000), stop);
                    break;
                case ("error", _):
                    UnexpectedErrors.Enqueue(reply!.ToJsonString());
                    await Task.Delay(500, stop);
                    break;
                default:
                    break; // no answer in time: resend, as the widget does
            }
        }
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
