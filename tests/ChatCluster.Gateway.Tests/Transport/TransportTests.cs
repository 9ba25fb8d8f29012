using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Tests.Transport;

/// <summary>S2/S3: bad input, floods and timeouts on a real gateway, seen from the wire.</summary>
public sealed class TransportTests(TransportFixture gateway) : IClassFixture<TransportFixture>
{
    [Theory]
    [InlineData("""{"type":"\ud800"}""")]
    [InlineData("""{"type":"send","id":"\udfff"}""")]
    public async Task A_lone_surrogate_escape_is_a_malformed_frame_and_the_socket_stays_open(string json)
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await client.SendRaw(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text);
        Assert.Equal("malformed_frame", (string)(await client.Next("error"))["code"]!);
        await BadInputTests.AssertUsable(client);
    }

    [Theory]
    [MemberData(nameof(CodecRobustnessTests.HugeLengthHeaders), MemberType = typeof(CodecRobustnessTests))]
    public async Task A_messagepack_length_header_of_2_GiB_is_a_malformed_frame_and_the_socket_stays_open(byte[] frame)
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.MessagePack);
        await client.SendRaw(frame, WebSocketMessageType.Binary);
        Assert.Equal("malformed_frame", (string)(await client.Next("error"))["code"]!);
        await BadInputTests.AssertUsable(client);
    }

    [Fact]
    public async Task Repeated_bad_frames_write_no_stack_traces_and_nothing_reaches_the_http_pipeline()
    {
        gateway.Log.Clear();
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        for (var i = 0; i < 40; i++)
            await client.SendRaw(Encoding.UTF8.GetBytes(i % 2 == 0 ? """{"type":"\ud800"}""" : """{"type":"send","id":"\udfff"}"""), WebSocketMessageType.Text);
        await using var pack = await ChatClient.Connect(gateway.SocketUri, Encoding2.MessagePack);
        for (var i = 0; i < 10; i++) await pack.SendRaw([0x81, 0xdb, 0x80, 0x00, 0x00, 0x00], WebSocketMessageType.Binary);
        await BadInputTests.AssertUsable(client);
        await BadInputTests.AssertUsable(pack);
        Assert.Equal(40, client.Seen.Count(f => (string?)f["code"] == "malformed_frame"));
        Assert.Equal(10, pack.Seen.Count(f => (string?)f["code"] == "malformed_frame"));

        var logged = gateway.Log.Entries;
        Assert.DoesNotContain(logged, e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.True(logged.Count(e => e.Exception is not null) == 0, string.Join("\n", logged.Select(e => $"{e.Category}: {e.Message} {e.Exception?.GetType().Name}")));
        Assert.True(logged.Count <= 2, string.Join("\n", logged.Select(e => $"{e.Category}: {e.Message}")));
    }

    [Fact]
    public async Task A_read_without_seq_is_a_missing_field()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await client.HelloVisitor(gateway.SiteKey);
        var conversationId = await client.StartConversation();
        await client.Send(new { type = "read", id = "r1", conversationId });
        var error = await client.Next("error");
        Assert.Equal("missing_field", (string)error["code"]!);
        Assert.Equal("r1", (string)error["id"]!);
        Assert.Contains("seq", (string)error["message"]!);
    }

    [Theory]
    [InlineData(Encoding2.Json)]
    [InlineData(Encoding2.MessagePack)]
    public async Task An_agent_hello_without_token_is_a_missing_field(Encoding2 encoding)
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, encoding);
        await client.Send(new { type = "hello", id = "h1", role = "agent" });
        var error = await client.Next("error");
        Assert.Equal("missing_field", (string)error["code"]!);
        Assert.Contains("token", (string)error["message"]!);
        await BadInputTests.AssertUsable(client);
    }

    [Fact]
    public async Task A_socket_without_hello_is_closed_at_the_hello_timeout_within_a_second()
    {
        var clock = Stopwatch.StartNew();
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        Assert.Equal((WebSocketCloseStatus)4001, await client.Closed(TimeSpan.FromSeconds(15)));
        var elapsed = clock.Elapsed.TotalSeconds;
        Assert.InRange(elapsed, 1.5, 3.0); // HelloTimeout is 2 s
    }

    [Fact]
    public async Task The_server_pings_a_client_it_has_heard_nothing_from_for_a_heartbeat_and_only_then()
    {
        await using var silent = await RawWebSocket.Connect(gateway.SocketUri);
        await silent.SendText($$"""{"type":"hello","role":"visitor","siteKey":"{{gateway.SiteKey}}"}""");
        var pings = await CountPings(silent, TimeSpan.FromSeconds(4), sendEvery: null);
        Assert.InRange(pings, 2, 5); // HeartbeatInterval is 1 s

        await using var busy = await RawWebSocket.Connect(gateway.SocketUri);
        await busy.SendText($$"""{"type":"hello","role":"visitor","siteKey":"{{gateway.SiteKey}}"}""");
        var busyPings = await CountPings(busy, TimeSpan.FromSeconds(4), sendEvery: TimeSpan.FromMilliseconds(300));
        Assert.Equal(0, busyPings); // as docs/protocol.md §6 says: a client that keeps sending is known to be there
    }

    [Fact]
    public async Task A_ping_control_frame_flood_is_rate_limited_and_closed_with_4029()
    {
        await using var client = await RawWebSocket.Connect(gateway.SocketUri);
        var ping = RawWebSocket.Frame(WireFrame.Ping, "x"u8);
        var flood = new byte[ping.Length * 20_000];
        for (var i = 0; i < 20_000; i++) ping.CopyTo(flood, i * ping.Length);
        var writing = client.Write(flood);
        var (data, close, pongs) = await client.ReadUntilClosed(TimeSpan.FromSeconds(20));
        await IgnoreReset(writing);

        Assert.NotNull(close);
        Assert.Equal(4029, close.Value.CloseCode);
        Assert.InRange(pongs, 1, 100); // the burst (60) and what refilled meanwhile, not 20,000
        var errors = data.Select(f => JsonNode.Parse(f.Text8)!).ToList();
        Assert.Equal(20, errors.Count(e => (string?)e["code"] == "rate_limited")); // RateLimitStrikes, the last one says closing
    }

    [Fact]
    public async Task A_thousand_frames_at_once_get_the_documented_rate_limited_frames_and_close_4029_every_time()
    {
        for (var trial = 0; trial < 5; trial++)
        {
            await using var client = await RawWebSocket.Connect(gateway.SocketUri);
            var burst = new List<byte>();
            for (var i = 0; i < 1000; i++) burst.AddRange(RawWebSocket.TextFrame($$"""{"type":"ping","id":"p{{i}}"}"""));
            var writing = client.Write([.. burst]);
            var (data, close, _) = await client.ReadUntilClosed(TimeSpan.FromSeconds(20));
            await IgnoreReset(writing);

            Assert.True(close is not null, $"trial {trial}: the connection ended without a close frame after {data.Count} frames");
            Assert.Equal(4029, close.Value.CloseCode);
            var frames = data.Select(f => JsonNode.Parse(f.Text8)!).ToList();
            var limited = frames.Where(f => (string?)f["code"] == "rate_limited").ToList();
            Assert.Equal(20, limited.Count);
            Assert.Equal("Too many frames; closing.", (string)limited[^1]["message"]!);
            Assert.All(limited.SkipLast(1), f => Assert.True((long)f["retryAfterMs"]! > 0));
            Assert.InRange(frames.Count(f => (string?)f["type"] == "pong"), 60, 80);
        }
    }

    [Fact]
    public async Task A_client_sending_steadily_at_one_and_a_half_times_the_rate_is_closed_with_4029_within_10_seconds()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await client.HelloVisitor(gateway.SiteKey);
        var clock = Stopwatch.StartNew();
        var sent = 0;
        try
        {
            while (client.State == WebSocketState.Open && clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                // 30 frames/s against 20 allowed, on schedule even when the machine makes us late.
                while (sent < clock.Elapsed.TotalSeconds * 30) await client.Send(new { type = "ping", id = $"p{sent++}" });
                await Task.Delay(10);
            }
        }
        catch (WebSocketException)
        {
        }
        Assert.Equal((WebSocketCloseStatus)4029, await client.Closed(TimeSpan.FromSeconds(5)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10.5), $"closed after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains(client.Seen, f => (string?)f["code"] == "rate_limited");
    }

    private static async Task<int> CountPings(RawWebSocket client, TimeSpan during, TimeSpan? sendEvery)
    {
        using var stop = new CancellationTokenSource(during);
        var pings = 0;
        var sending = sendEvery is { } every ? Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await client.Write(RawWebSocket.TextFrame("""{"type":"ping"}"""));
                await Task.Delay(every);
            }
        }) : Task.CompletedTask;
        try
        {
            while (await client.Next(stop.Token) is { } frame)
            {
                if (frame.Opcode != WireFrame.Ping) continue;
                pings++;
                await client.Write(RawWebSocket.Frame(WireFrame.Pong, frame.Payload));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await sending;
        return pings;
    }

    private static async Task IgnoreReset(Task writing)
    {
        try
        {
            await writing.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or TimeoutException)
        {
            // the server may close while the rest of the flood is still on its way: that is allowed
        }
    }
}

/// <summary>The idle timeout closes at its value (2 s here) within a second, checked by the one gateway-wide sweep.</summary>
public sealed class IdleTimeoutPrecisionTests(StrictGatewayFixture gateway) : IClassFixture<StrictGatewayFixture>
{
    [Fact]
    public async Task A_silent_socket_is_closed_at_the_idle_timeout_within_a_second()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await client.HelloVisitor(gateway.SiteKey);
        var clock = Stopwatch.StartNew();
        Assert.Equal((WebSocketCloseStatus)4008, await client.Closed(TimeSpan.FromSeconds(10)));
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.0, 3.0);
    }
}
