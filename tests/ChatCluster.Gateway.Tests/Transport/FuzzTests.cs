using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ChatCluster.Gateway.Tests.Transport;

/// <summary>A gateway whose frame budget does not get in the fuzzer's way, with its log captured.</summary>
public sealed class FuzzFixture : GatewayFixture
{
    public CapturedLog Log { get; } = new();

    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:Gateway:FramesPerSecond"] = "10000",
        ["ChatCluster:Gateway:FrameBurst"] = "100000",
        ["ChatCluster:Gateway:HelloTimeout"] = "00:01:00",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(Log);
}

/// <summary>
/// S2 (issue 16.4): 100,000 generated malformed frames in both encodings against a gateway while a visitor and an
/// agent chat on it: no crash, no socket ended without a close frame, every message answered, the chat intact.
/// </summary>
public sealed class FuzzTests(FuzzFixture gateway, ITestOutputHelper output) : IClassFixture<FuzzFixture>
{
    /// <summary>100,000 in the suite; <c>CHATCLUSTER_FUZZ_FRAMES</c> changes it for a longer (or a quicker) local run.</summary>
    private static readonly int TotalFrames = int.TryParse(Environment.GetEnvironmentVariable("CHATCLUSTER_FUZZ_FRAMES"), out var n) ? n : 100_000;
    private const int Workers = 6;

    private sealed class Tally
    {
        public int Frames, Sockets, ClosingSockets, Pongs;
        public ConcurrentDictionary<string, int> Kinds { get; } = new();
        public ConcurrentDictionary<int, int> CloseCodes { get; } = new();
        public ConcurrentQueue<string> Failures { get; } = new();
    }

    [Fact]
    public async Task A_hundred_thousand_malformed_frames_crash_nothing_and_the_chat_alongside_delivers_everything()
    {
        gateway.Log.Clear();
        var clock = Stopwatch.StartNew();
        using var fuzzing = new CancellationTokenSource();
        var chatting = new TaskCompletionSource();
        var chat = Task.Run(() => ChatAlongside(chatting, fuzzing.Token));
        await Task.WhenAny(chatting.Task, chat).WaitAsync(TimeSpan.FromSeconds(60));
        if (chat.IsFaulted) await chat; // the chat could not start: say why
        var tally = new Tally();
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(i => Task.Run(() => Fuzz(new FrameFuzzer(json: i % 2 == 0, seed + i), TotalFrames / Workers + 1, tally))));
        var fuzzTime = clock.Elapsed;
        await fuzzing.CancelAsync();
        var (sent, deliveredToAgent, deliveredToVisitor) = await chat;

        output.WriteLine($"{tally.Frames} frames on {tally.Sockets} sockets ({tally.ClosingSockets} closed by a protocol violation) in {fuzzTime.TotalSeconds:0.0} s; {tally.Pongs} control pongs");
        output.WriteLine("kinds: " + string.Join(", ", tally.Kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));
        output.WriteLine("close codes: " + string.Join(", ", tally.CloseCodes.OrderBy(k => k.Key).Select(k => $"{k.Key} ×{k.Value}")));
        output.WriteLine($"chat: {sent} messages each way, {deliveredToAgent} reached the agent, {deliveredToVisitor} the visitor");
        Assert.True(tally.Failures.IsEmpty, string.Join("\n", tally.Failures.Take(20)));
        Assert.True(tally.Frames >= TotalFrames);
        Assert.DoesNotContain(1011, tally.CloseCodes.Keys); // no internal error anywhere
        Assert.True(sent > 0);
        Assert.Equal(sent, deliveredToAgent);
        Assert.Equal(sent, deliveredToVisitor);

        var errors = gateway.Log.Entries.Where(e => e.Level >= LogLevel.Error || e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10).Select(e => $"{e.Category}: {e.Message} {e.Exception}")));
        await using var after = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await BadInputTests.AssertUsable(after);
    }

    private async Task Fuzz(FrameFuzzer fuzzer, int frames, Tally tally)
    {
        var random = new Random(frames ^ Environment.CurrentManagedThreadId);
        var batchNumber = 0;
        while (frames > 0)
        {
            var batch = new List<FuzzFrame>();
            for (var n = Math.Min(frames, random.Next(200, 800)); n > 0; n--) batch.Add(fuzzer.Next());
            frames -= batch.Count;
            var closing = random.Next(10) == 0;
            batch.Add(closing ? fuzzer.Closing() : fuzzer.Marker($"end-{batchNumber}"));
            foreach (var frame in batch) tally.Kinds.AddOrUpdate(frame.Kind, 1, (_, c) => c + 1);
            var label = $"{(fuzzer.Json ? "json" : "msgpack")} batch {batchNumber} ({batch[^1].Kind})";
            try
            {
                await RunBatch(fuzzer.Json, batch, closing, $"end-{batchNumber++}", label, tally);
            }
            catch (Exception ex)
            {
                tally.Failures.Enqueue($"{label}: {ex.GetType().Name}: {ex.Message}");
            }
            Interlocked.Add(ref tally.Frames, batch.Count);
            Interlocked.Increment(ref tally.Sockets);
            if (closing) Interlocked.Increment(ref tally.ClosingSockets);
        }
    }

    private async Task RunBatch(bool json, List<FuzzFrame> batch, bool closing, string markerId, string label, Tally tally)
    {
        await using var socket = await RawWebSocket.Connect(gateway.SocketUri, json ? "chatcluster.v1.json" : "chatcluster.v1.msgpack");
        var expected = batch.Count(f => f.Answered);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var bytes = batch.SelectMany(f => f.Wire).ToArray();
        var writing = Task.Run(async () =>
        {
            for (var at = 0; at < bytes.Length; at += 16 * 1024)
                await socket.Write(bytes[at..Math.Min(bytes.Length, at + 16 * 1024)], timeout.Token);
        });

        var answers = 0;
        WireFrame? close = null;
        var marker = false;
        var markerBytes = System.Text.Encoding.UTF8.GetBytes(markerId);
        while (close is null)
        {
            var next = await socket.Next(timeout.Token);
            if (next is not { } frame) break;
            switch (frame.Opcode)
            {
                case WireFrame.Text or WireFrame.Binary:
                    answers++;
                    if (!closing && frame.Payload.AsSpan().IndexOf(markerBytes) >= 0)
                    {
                        // Frames are answered in order: the marker's pong comes after every other answer.
                        marker = true;
                        if (answers != expected) tally.Failures.Enqueue($"{label}: {answers} answers for {expected} frames");
                        await writing;
                        await socket.Write(RawWebSocket.CloseFrame(1000), timeout.Token);
                    }
                    break;
                case WireFrame.Ping:
                    await socket.Write(RawWebSocket.Frame(WireFrame.Pong, frame.Payload), timeout.Token);
                    break;
                case WireFrame.Pong:
                    Interlocked.Increment(ref tally.Pongs);
                    break;
                case WireFrame.Close:
                    close = frame;
                    break;
            }
        }
        try
        {
            await writing;
        }
        catch (IOException) when (closing)
        {
            // the server may end the connection while a runaway frame is still being written
        }
        if (close is not { } closed)
        {
            tally.Failures.Enqueue($"{label}: the connection ended without a close frame after {answers} of {expected} answers");
            return;
        }
        tally.CloseCodes.AddOrUpdate(closed.CloseCode, 1, (_, c) => c + 1);
        if (!closing && (!marker || closed.CloseCode != 1000))
            tally.Failures.Enqueue($"{label}: {answers} of {expected} frames answered, then close {closed.CloseCode}");
        // A WebSocket protocol violation fails the connection at once (RFC 6455 §7.1.7): answers still queued are
        // dropped, but the close frame comes. A runaway frame is the gateway's own close: everything before it is answered.
        var expectedCode = batch[^1].Kind switch { "invalid-utf8" => 1007, "runaway-size" => 1009, _ => 1002 };
        if (closing && closed.CloseCode != expectedCode)
            tally.Failures.Enqueue($"{label}: closed with {closed.CloseCode}, not {expectedCode}");
        if (closing && expectedCode == 1009 && answers != expected)
            tally.Failures.Enqueue($"{label}: only {answers} of the {expected} frames before the runaway frame were answered");
    }

    /// <summary>A visitor and an agent exchanging messages while the fuzzer runs; returns what was sent and delivered.</summary>
    private async Task<(int Sent, int ToAgent, int ToVisitor)> ChatAlongside(TaskCompletionSource chatting, CancellationToken stop)
    {
        await using var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.MessagePack);
        await visitor.HelloVisitor(gateway.SiteKey);
        var conversationId = await visitor.StartConversation(name: "Fuzz bystander");
        await using var agent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await agent.HelloAgent(await gateway.AgentToken());
        await agent.Send(new { type = "join", id = "j1", conversationId });
        await agent.Next("history");

        var sent = 0;
        chatting.SetResult();
        while (!stop.IsCancellationRequested)
        {
            await visitor.SendMessage(conversationId, $"v{sent}", $"visitor message {sent}");
            await agent.SendMessage(conversationId, $"a{sent}", $"agent message {sent}");
            sent++;
            await Task.Delay(50, CancellationToken.None);
        }

        var deadline = DateTime.UtcNow.AddSeconds(15);
        int toAgent, toVisitor;
        do
        {
            await Task.Delay(100);
            toAgent = Received(agent, "v");
            toVisitor = Received(visitor, "a");
        } while ((toAgent < sent || toVisitor < sent) && DateTime.UtcNow < deadline);
        return (sent, toAgent, toVisitor);

        static int Received(ChatClient client, string prefix) => client.Seen
            .SelectMany(f => (string?)f["type"] == "message" ? [f] : (string?)f["type"] == "history" ? f["messages"]!.AsArray().Select(m => m!.AsObject()) : [])
            .Select(m => (string)m["clientMessageId"]!)
            .Where(id => id.StartsWith(prefix, StringComparison.Ordinal))
            .Distinct()
            .Count();
    }
}
