using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Sockets;

/// <summary>
/// One WebSocket of a widget or agent console. Two loops share it: the reader (budget, decode, dispatch each
/// frame in order) and the writer (the only code that sends on the socket); its conversation follower delivers
/// pushed events and resumes, so each socket sees every message once, in order. Hello, idle and tenant-closed
/// timeouts are not a loop of its own: the gateway-wide <see cref="ConnectionSweep"/> looks at every socket a few times a second.
/// </summary>
public sealed partial class ChatConnection : IAsyncDisposable
{
    /// <summary>Past this many bytes of one oversized message we stop draining and close with 1009.</summary>
    private const int MaxDrainBytes = 1024 * 1024;

    /// <summary>How long a peer has to answer our close frame before the socket is aborted.</summary>
    private static readonly TimeSpan CloseHandshakeGrace = TimeSpan.FromSeconds(2);

    /// <summary>The longest a close may take from being asked for, even against a peer that reads nothing.</summary>
    private static readonly TimeSpan CloseDeadline = TimeSpan.FromSeconds(5);

    private readonly WebSocket socket;
    private readonly IFrameCodec codec;
    private readonly ChatServices services;
    private readonly ConnectionInfo connection;
    private readonly Channel<ServerFrame> outbox;
    private readonly CancellationTokenSource lifetime;
    private readonly FrameBudget budget;
    private readonly long connectedAt;
    private long lastReceived;
    private CloseRequest? closeRequest;
    private int decodeFailures;

    private sealed record CloseRequest(int Code, string Reason);

    public ChatConnection(WebSocket socket, IFrameCodec codec, ChatServices services, ConnectionInfo connection, CancellationToken stopping,
        ControlFrameGate? controlFrames = null)
    {
        this.socket = socket;
        this.codec = codec;
        this.services = services;
        this.connection = connection;
        var options = services.Options;
        outbox = Channel.CreateBounded<ServerFrame>(new BoundedChannelOptions(options.SendQueueLimit)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        lifetime = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        budget = new FrameBudget(options.FramesPerSecond, options.FrameBurst, options.RateLimitStrikes, services.Time);
        connectedAt = lastReceived = services.Time.GetTimestamp();
        if (controlFrames is not null) controlFrames.Admit = AdmitControlFrame;
    }

    public string Id { get; } = Guid.NewGuid().ToString("N");

    public async Task Run()
    {
        services.Connections.Add(this);
        // One registration per socket instead of one per send: once the lifetime ends (close deadline, shutdown) the
        // socket is aborted, which ends a send stuck on a peer that stopped reading. The writer sends without a token,
        // so each send takes ManagedWebSocket's synchronous-lock fast path.
        var abortOnEnd = lifetime.Token.UnsafeRegister(static s => ((WebSocket)s!).Abort(), socket);
        var writer = Task.Run(WriteLoop);
        try
        {
            await ReadLoop();
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
            // the peer went away or we are closing; nothing to report
        }
        catch (Exception ex)
        {
            // Nothing a client sends may escape into the HTTP pipeline after the upgrade (S2).
            services.Logger.LogError(ex, "The reader of connection {Connection} failed", Id);
        }
        finally
        {
            RequestClose(CloseCodes.InternalError, "server error");
            await writer;
            // The writer is done, so no send can be stuck: from here the connection ends with the HTTP request (a FIN
            // after our close frame), not with an abort (a reset that could overtake it).
            abortOnEnd.Dispose();
            await lifetime.CancelAsync();
            try
            {
                await FramesHandled();
                await EndSession();
            }
            catch (Exception ex)
            {
                services.Logger.LogWarning(ex, "Ending the session of connection {Connection} failed", Id);
            }
            services.Connections.Remove(this);
        }
    }

    /// <summary>Queues a frame for the writer. A reader too slow to keep up is disconnected; it resumes on reconnect.</summary>
    public void Send(ServerFrame frame)
    {
        if (outbox.Writer.TryWrite(frame)) return;
        if (!lifetime.IsCancellationRequested) RequestClose(CloseCodes.SlowReader, "reader too slow; reconnect and resume");
    }

    /// <summary>
    /// Sends <paramref name="last"/> (if any) and closes the socket with <paramref name="code"/>. The first request
    /// wins; the reader keeps reading (and discarding) until the peer answers the close, so that what was queued
    /// reaches the peer before the TCP connection goes, however much it had sent.
    /// </summary>
    public void RequestClose(int code, string reason, ServerFrame? last = null)
    {
        if (Interlocked.CompareExchange(ref closeRequest, new CloseRequest(code, reason), null) is not null) return;
        if (last is not null) outbox.Writer.TryWrite(last);
        outbox.Writer.TryComplete();
        try
        {
            lifetime.CancelAfter(CloseDeadline);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private bool Closing => Volatile.Read(ref closeRequest) is not null;

    private async Task ReadLoop()
    {
        var limit = services.Options.MaxFrameBytes;
        var message = new ArrayBufferWriter<byte>(256);
        while (!lifetime.IsCancellationRequested && socket.State == WebSocketState.Open && !Closing)
        {
            // A zero-byte read waits for data without holding a buffer: idle sockets cost no receive memory.
            var peek = await socket.ReceiveAsync(Memory<byte>.Empty, lifetime.Token);
            if (peek.MessageType == WebSocketMessageType.Close)
            {
                AnswerClose();
                return;
            }

            var rented = ArrayPool<byte>.Shared.Rent(4096);
            long total = 0;
            bool tooLarge = false;
            var type = peek.MessageType;
            try
            {
                // An empty message is complete at the zero-byte read already; reading on would swallow the next one.
                while (!peek.EndOfMessage)
                {
                    var result = await socket.ReceiveAsync(rented.AsMemory(), lifetime.Token);
                    type = result.MessageType;
                    if (type == WebSocketMessageType.Close)
                    {
                        AnswerClose();
                        return;
                    }
                    total += result.Count;
                    if (total > limit) tooLarge = true;
                    else message.Write(rented.AsSpan(0, result.Count));
                    if (total > MaxDrainBytes)
                    {
                        RequestClose(CloseCodes.MessageTooBig, "frame far above the size limit");
                        break;
                    }
                    if (result.EndOfMessage) break;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
            if (Closing) break;

            Volatile.Write(ref lastReceived, services.Time.GetTimestamp());
            try
            {
                await Handle(type, message.WrittenMemory, tooLarge, total);
            }
            finally
            {
                message.ResetWrittenCount();
                if (message.Capacity > 16 * 1024) message = new ArrayBufferWriter<byte>(256); // don't keep a big buffer for an idle socket
            }
        }
        if (Closing) await DrainUntilClosed();
    }

    /// <summary>
    /// After we asked to close, frames the peer sent before it saw our close frame are read and dropped: a socket
    /// closed with unread data is reset, and a reset loses the error and close frame still on their way (S3).
    /// Bounded by <see cref="CloseDeadline"/> and the close handshake grace.
    /// </summary>
    private async Task DrainUntilClosed()
    {
        var scratch = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (!lifetime.IsCancellationRequested && socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(scratch.AsMemory(), lifetime.Token);
                if (result.MessageType == WebSocketMessageType.Close) return;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>One complete message: over budget, it is dropped before anything else looks at it.</summary>
    private async Task Handle(WebSocketMessageType type, ReadOnlyMemory<byte> payload, bool tooLarge, long total)
    {
        if (budget.Take() is var verdict and not FrameVerdict.Accepted)
        {
            Refuse(verdict, type == codec.MessageType && !tooLarge ? codec.PeekId(payload) : null);
            return;
        }
        if (tooLarge)
        {
            Send(new ErrorFrame { Code = ErrorCodes.FrameTooLarge, Message = $"A frame is at most {services.Options.MaxFrameBytes} bytes; this one had {total}. It was dropped." });
            return;
        }
        if (type != codec.MessageType)
        {
            Send(new ErrorFrame { Code = ErrorCodes.MalformedFrame, Message = $"This connection speaks {codec.Subprotocol}: send {codec.MessageType} frames." });
            return;
        }
        var decoded = Decode(payload);
        if (decoded.Error is { } error) Send(error);
        else await Handle(decoded.Frame!);
    }

    private DecodeResult Decode(ReadOnlyMemory<byte> payload)
    {
        try
        {
            return codec.Decode(payload);
        }
        catch (Exception ex)
        {
            // The codecs answer bad input themselves, so this is a gap in a codec: one line, not a stack per frame.
            if (Interlocked.Increment(ref decodeFailures) == 1)
                services.Logger.LogWarning("Decoding a {Subprotocol} frame on connection {Connection} threw {Exception}: {Message}; answered malformed_frame, later ones on this connection are logged at debug level",
                    codec.Subprotocol, Id, ex.GetType().Name, ex.Message);
            else services.Logger.LogDebug("Decoding a frame on connection {Connection} threw {Exception}", Id, ex.GetType().Name);
            return DecodeResult.Fail(ErrorCodes.MalformedFrame, "The frame could not be decoded; it was ignored.");
        }
    }

    /// <summary>The transport asks about each WebSocket ping or pong control frame: the same budget as every frame.</summary>
    private bool AdmitControlFrame()
    {
        if (Closing) return false; // nothing is answered once we are closing
        var verdict = budget.Take();
        if (verdict == FrameVerdict.Accepted) return true;
        Refuse(verdict, id: null);
        return false;
    }

    private void Refuse(FrameVerdict verdict, string? id)
    {
        if (verdict == FrameVerdict.Flood)
        {
            RequestClose(CloseCodes.Flood, "too many frames", new ErrorFrame { Id = id, Code = ErrorCodes.RateLimited, Message = "Too many frames; closing." });
            return;
        }
        var retryMs = Math.Max(1, (int)Math.Ceiling(budget.RetryAfter.TotalMilliseconds));
        Send(new ErrorFrame { Id = id, Code = ErrorCodes.RateLimited, Message = $"Slow down: the frame was dropped; retry after {retryMs} ms.", RetryAfterMs = retryMs });
    }

    /// <summary>The peer closed: flush what is queued and complete the close handshake with its code.</summary>
    private void AnswerClose()
    {
        var status = socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure;
        RequestClose((int)status, "bye");
    }

    private async Task WriteLoop()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        try
        {
            await foreach (var frame in outbox.Reader.ReadAllAsync(lifetime.Token))
            {
                var bytes = FrameCodecs.Encode(codec, frame, buffer);
                await socket.SendAsync(bytes, codec.MessageType, endOfMessage: true, CancellationToken.None);
                if (frame is MessageFrame message) services.Metrics.MessageDelivered(message.SentAt);
                if (buffer.Capacity > 16 * 1024) buffer = new ArrayBufferWriter<byte>(256);
            }
            if (closeRequest is { } close && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(CloseDeadline);
                await socket.CloseOutputAsync((WebSocketCloseStatus)close.Code, close.Reason, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
        }
        catch (Exception ex)
        {
            services.Logger.LogError(ex, "The writer of connection {Connection} failed", Id);
        }
        finally
        {
            // The reader ends when the peer answers our close frame; a peer that never answers is cut
            // off after a grace period (cancelling a pending receive aborts the socket).
            if (!lifetime.IsCancellationRequested) lifetime.CancelAfter(CloseHandshakeGrace);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await lifetime.CancelAsync();
        lifetime.Dispose();
    }
}

/// <summary>What the gateway reads from a socket's connection; <paramref name="Country"/> comes from the country table.</summary>
public sealed record ConnectionInfo(string? IpAddress, string? UserAgent, string? Origin, string? Country = null);
