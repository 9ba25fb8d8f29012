using Microsoft.AspNetCore.Http.Features;

namespace ChatCluster.Gateway.Sockets;

/// <summary>
/// Lets a connection's frame budget see WebSocket ping and pong control frames (S2). The WebSocket answers a
/// ping inside its receive call, before any frame reaches the reader, so a budget kept only by the reader
/// would answer a ping flood without limit. This gate sits on the upgraded stream instead: it reads each
/// client frame's header and asks <see cref="Admit"/> about every control frame; one that is refused is cut
/// from the stream unread, so the WebSocket never sees it and never answers it.
/// </summary>
public sealed class ControlFrameGate
{
    /// <summary>Set by the connection once it exists: true lets a control frame through. Unset: all pass.</summary>
    public Func<bool>? Admit { get; set; }

    internal bool Allows() => Admit?.Invoke() ?? true;
}

/// <summary>Puts a <see cref="ControlFrameGate"/> on every upgrade of the chat socket's path.</summary>
public static class ControlFrameGateMiddleware
{
    /// <summary>Must run before <c>UseWebSockets</c>, which takes the upgrade feature when the request arrives.</summary>
    public static IApplicationBuilder UseControlFrameGate(this IApplicationBuilder app, PathString path) =>
        app.Use((context, next) =>
        {
            if (context.Request.Path == path)
            {
                var gate = new ControlFrameGate();
                if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
                {
                    context.Features.Set<IHttpUpgradeFeature>(new GatedUpgrade(upgrade, gate));
                    context.Features.Set(gate);
                }
                else if (context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
                {
                    context.Features.Set<IHttpExtendedConnectFeature>(new GatedConnect(connect, gate));
                    context.Features.Set(gate);
                }
            }
            return next(context);
        });

    private sealed class GatedUpgrade(IHttpUpgradeFeature inner, ControlFrameGate gate) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync() => new ControlFrameFilterStream(await inner.UpgradeAsync(), gate);
    }

    private sealed class GatedConnect(IHttpExtendedConnectFeature inner, ControlFrameGate gate) : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => inner.IsExtendedConnect;

        public string? Protocol => inner.Protocol;

        public async ValueTask<Stream> AcceptAsync() => new ControlFrameFilterStream(await inner.AcceptAsync(), gate);
    }
}

/// <summary>
/// The client-to-server half of an upgraded stream, read frame by frame (RFC 6455 §5.2): headers are read into
/// a 14-byte array of its own, then handed on; payloads go straight through into the caller's buffer, except
/// those of refused control frames, which are read and thrown away. Writes pass through untouched.
/// </summary>
internal sealed class ControlFrameFilterStream(Stream inner, ControlFrameGate gate) : Stream
{
    private const int MaxControlPayload = 125;
    private readonly byte[] header = new byte[14];
    private int headerLength; // bytes of the current header read so far
    private int emitted = -1; // bytes of a complete header handed on so far; -1 while none is waiting
    private long payloadLeft;
    private bool dropping;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // A zero-byte read waits for data without a buffer (how idle sockets stay cheap): pass it on.
        if (buffer.IsEmpty) return emitted >= 0 ? 0 : await inner.ReadAsync(buffer, cancellationToken);
        while (true)
        {
            if (emitted >= 0)
            {
                var count = Math.Min(buffer.Length, headerLength - emitted);
                header.AsSpan(emitted, count).CopyTo(buffer.Span);
                emitted += count;
                if (emitted == headerLength) (emitted, headerLength) = (-1, 0);
                return count;
            }
            if (payloadLeft > 0)
            {
                if (!dropping)
                {
                    var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, payloadLeft)], cancellationToken);
                    payloadLeft -= read;
                    return read;
                }
                var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(MaxControlPayload);
                try
                {
                    var skipped = await inner.ReadAsync(scratch.AsMemory(0, (int)Math.Min(MaxControlPayload, payloadLeft)), cancellationToken);
                    if (skipped == 0) return 0;
                    payloadLeft -= skipped;
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
                }
                continue;
            }
            if (!await ReadHeader(cancellationToken))
            {
                // The peer stopped mid-header: hand on what came, the WebSocket reports the truncation.
                if (headerLength == 0) return 0;
                emitted = 0;
                continue;
            }
            var opcode = header[0] & 0x0F;
            var length = PayloadLength();
            payloadLeft = length;
            dropping = opcode is 0x9 or 0xA && length <= MaxControlPayload && !gate.Allows();
            if (dropping) headerLength = 0;
            else emitted = 0;
        }
    }

    /// <summary>Reads one frame header into <see cref="header"/>; false at the end of the stream.</summary>
    private async ValueTask<bool> ReadHeader(CancellationToken cancellationToken)
    {
        var needed = 2;
        while (headerLength < needed)
        {
            var read = await inner.ReadAsync(header.AsMemory(headerLength, needed - headerLength), cancellationToken);
            if (read == 0) return false;
            headerLength += read;
            if (headerLength >= 2) needed = HeaderLength();
        }
        return true;
    }

    private int HeaderLength()
    {
        var masked = (header[1] & 0x80) != 0;
        var extended = (header[1] & 0x7F) switch { 126 => 2, 127 => 8, _ => 0 };
        return 2 + extended + (masked ? 4 : 0);
    }

    private long PayloadLength() => (header[1] & 0x7F) switch
    {
        126 => System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2)),
        // A length with the top bit set is a protocol error; hand it on as "huge" for the WebSocket to refuse.
        127 => (long)Math.Min(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(2)), (ulong)long.MaxValue),
        var small => small,
    };

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
