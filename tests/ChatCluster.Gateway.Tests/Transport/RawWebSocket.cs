using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ChatCluster.Gateway.Tests.Transport;

/// <summary>A server frame as it came off the wire.</summary>
public readonly record struct WireFrame(int Opcode, bool Fin, byte[] Payload)
{
    public const int Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA;

    public string Text8 => Encoding.UTF8.GetString(Payload);

    public int CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : 1005;
}

/// <summary>
/// A WebSocket client written against RFC 6455 on a bare TCP socket, for what <c>ClientWebSocket</c> cannot do:
/// send ping control frames, fragment or corrupt frames at will, write thousands of frames in one write, not
/// answer pings, and tell a close frame from a connection reset.
/// </summary>
public sealed class RawWebSocket : IAsyncDisposable
{
    private readonly TcpClient tcp;
    private readonly NetworkStream stream;
    private readonly byte[] buffer = new byte[64 * 1024];
    private int start, end;

    private RawWebSocket(TcpClient tcp)
    {
        this.tcp = tcp;
        stream = tcp.GetStream();
    }

    public static async Task<RawWebSocket> Connect(Uri socketUri, string? subprotocol = "chatcluster.v1.json", CancellationToken cancellation = default)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(socketUri.Host, socketUri.Port, cancellation);
        var client = new RawWebSocket(tcp);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"GET {socketUri.PathAndQuery} HTTP/1.1\r\nHost: {socketUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                      $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n" +
                      (subprotocol is null ? "" : $"Sec-WebSocket-Protocol: {subprotocol}\r\n") + "\r\n";
        await client.stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancellation);
        var head = await client.ReadHttpHead(cancellation);
        if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            throw new InvalidOperationException($"The upgrade was refused: {head}");
        return client;
    }

    /// <summary>One client frame, masked as RFC 6455 requires (or not, to break the rule).</summary>
    public static byte[] Frame(int opcode, ReadOnlySpan<byte> payload, bool fin = true, bool mask = true, int reservedBits = 0)
    {
        var extended = payload.Length < 126 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8;
        var frame = new byte[2 + extended + (mask ? 4 : 0) + payload.Length];
        frame[0] = (byte)((fin ? 0x80 : 0) | (reservedBits << 4) | opcode);
        var lengthCode = extended switch { 0 => payload.Length, 2 => 126, _ => 127 };
        frame[1] = (byte)((mask ? 0x80 : 0) | lengthCode);
        if (extended == 2) BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        if (extended == 8) BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        var at = 2 + extended;
        if (mask)
        {
            var key = frame.AsSpan(at, 4);
            RandomNumberGenerator.Fill(key);
            at += 4;
            for (var i = 0; i < payload.Length; i++) frame[at + i] = (byte)(payload[i] ^ key[i & 3]);
        }
        else payload.CopyTo(frame.AsSpan(at));
        return frame;
    }

    public static byte[] TextFrame(string json) => Frame(WireFrame.Text, Encoding.UTF8.GetBytes(json));

    public static byte[] CloseFrame(int code)
    {
        var payload = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        return Frame(WireFrame.Close, payload);
    }

    public async Task Write(byte[] bytes, CancellationToken cancellation = default) => await stream.WriteAsync(bytes, cancellation);

    public Task SendText(string json) => Write(TextFrame(json));

    /// <summary>The next server frame; null when the server closed the TCP connection. A reset throws <see cref="IOException"/>.</summary>
    public async Task<WireFrame?> Next(CancellationToken cancellation = default)
    {
        if (!await Fill(2, cancellation)) return null;
        var b0 = buffer[start];
        var b1 = buffer[start + 1];
        var lengthCode = b1 & 0x7F;
        var headerLength = 2 + (lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0);
        if (!await Fill(headerLength, cancellation)) return null;
        long length = lengthCode switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(start + 2)),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(start + 2)),
            _ => lengthCode,
        };
        if (length > buffer.Length - headerLength) throw new InvalidDataException($"A server frame of {length} bytes");
        if (!await Fill(headerLength + (int)length, cancellation)) return null;
        var payload = buffer.AsSpan(start + headerLength, (int)length).ToArray();
        start += headerLength + (int)length;
        return new WireFrame(b0 & 0x0F, (b0 & 0x80) != 0, payload);
    }

    /// <summary>
    /// Reads until the server's close frame, answering pings (unless told not to) and collecting data frames;
    /// then answers the close and reads to the end of the stream. Throws <see cref="IOException"/> on a reset.
    /// </summary>
    public async Task<(List<WireFrame> Data, WireFrame? Close, int Pongs)> ReadUntilClosed(TimeSpan wait, bool answerPings = true)
    {
        using var timeout = new CancellationTokenSource(wait);
        var data = new List<WireFrame>();
        var pongs = 0;
        while (true)
        {
            var frame = await Next(timeout.Token);
            if (frame is not { } f) return (data, null, pongs);
            switch (f.Opcode)
            {
                case WireFrame.Close:
                    await Write(CloseFrame(f.CloseCode == 1005 ? 1000 : f.CloseCode), timeout.Token);
                    while (await Next(timeout.Token) is not null) { } // the server ends the TCP connection next
                    return (data, f, pongs);
                case WireFrame.Ping when answerPings:
                    await Write(Frame(WireFrame.Pong, f.Payload), timeout.Token);
                    break;
                case WireFrame.Pong:
                    pongs++;
                    break;
                case WireFrame.Text or WireFrame.Binary:
                    data.Add(f);
                    break;
            }
        }
    }

    private async Task<bool> Fill(int count, CancellationToken cancellation)
    {
        if (end - start >= count) return true;
        if (start > 0)
        {
            buffer.AsSpan(start, end - start).CopyTo(buffer);
            (end, start) = (end - start, 0);
        }
        while (end < count)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(end), cancellation);
            if (read == 0) return false;
            end += read;
        }
        return true;
    }

    private async Task<string> ReadHttpHead(CancellationToken cancellation)
    {
        while (true)
        {
            var at = buffer.AsSpan(0, end).IndexOf("\r\n\r\n"u8);
            if (at >= 0)
            {
                var head = Encoding.ASCII.GetString(buffer, 0, at);
                start = at + 4;
                return head;
            }
            var read = await stream.ReadAsync(buffer.AsMemory(end), cancellation);
            if (read == 0) throw new IOException("The server closed the connection during the upgrade.");
            end += read;
        }
    }

    public ValueTask DisposeAsync()
    {
        tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
