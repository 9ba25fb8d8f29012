using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Tenants;

namespace ChatCluster.Gateway.Sockets;

/// <summary>
/// One WebSocket of a widget or agent console. Three loops share it: the reader (decode, rate-limit,
/// dispatch each frame in order), the writer (the only code that sends on the socket), and the delivery
/// loop (stream events and resumes, so each socket sees every message once, in order).
/// </summary>
public sealed partial class ChatConnection : IAsyncDisposable
{
    /// <summary>Past this many bytes of one oversized message we stop draining and close with 1009.</summary>
    private const int MaxDrainBytes = 1024 * 1024;

    /// <summary>How long a peer has to answer our close frame before the socket is aborted.</summary>
    private static readonly TimeSpan CloseHandshakeGrace = TimeSpan.FromSeconds(2);

    private readonly WebSocket socket;
    private readonly IFrameCodec codec;
    private readonly ChatServices services;
    private readonly ConnectionInfo connection;
    private readonly Channel<ServerFrame> outbox;
    private readonly CancellationTokenSource lifetime;
    private readonly TokenBucket bucket;
    private long lastReceived;
    private int rateStrikes;
    private (int Code, string Reason)? closeRequest;

    public ChatConnection(WebSocket socket, IFrameCodec codec, ChatServices services, ConnectionInfo connection, CancellationToken stopping)
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
        deliveries = Channel.CreateBounded<DeliveryWork>(new BoundedChannelOptions(options.SendQueueLimit)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        lifetime = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        bucket = new TokenBucket(options.FramesPerSecond, options.FrameBurst, services.Time);
        lastReceived = services.Time.GetTimestamp();
    }

    public string Id { get; } = Guid.NewGuid().ToString("N");

    public async Task Run()
    {
        services.Connections.Add(this);
        var writer = Task.Run(WriteLoop);
        var delivery = Task.Run(DeliveryLoop);
        var watchdog = Task.Run(Watchdog);
        try
        {
            await ReadLoop();
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // the peer went away or we are closing; nothing to report
        }
        finally
        {
            outbox.Writer.TryComplete();
            deliveries.Writer.TryComplete();
            await writer;
            await lifetime.CancelAsync();
            await Task.WhenAll(delivery, watchdog);
            await EndSession();
            services.Connections.Remove(this);
        }
    }

    /// <summary>Queues a frame for the writer. A reader too slow to keep up is disconnected; it resumes on reconnect.</summary>
    public void Send(ServerFrame frame)
    {
        if (outbox.Writer.TryWrite(frame)) return;
        if (!lifetime.IsCancellationRequested) RequestClose(CloseCodes.SlowReader, "reader too slow; reconnect and resume");
    }

    /// <summary>Sends <paramref name="last"/> (if any) and closes the socket with <paramref name="code"/>.</summary>
    public void RequestClose(int code, string reason, ServerFrame? last = null)
    {
        if (last is not null) outbox.Writer.TryWrite(last);
        closeRequest ??= (code, reason);
        outbox.Writer.TryComplete();
    }

    private async Task ReadLoop()
    {
        var limit = services.Options.MaxFrameBytes;
        var message = new ArrayBufferWriter<byte>(256);
        while (!lifetime.IsCancellationRequested && socket.State == WebSocketState.Open && closeRequest is null)
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
            WebSocketMessageType type;
            try
            {
                while (true)
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
                        return;
                    }
                    if (result.EndOfMessage) break;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }

            Volatile.Write(ref lastReceived, services.Time.GetTimestamp());
            try
            {
                if (tooLarge)
                {
                    Send(new ErrorFrame { Code = ErrorCodes.FrameTooLarge, Message = $"A frame is at most {limit} bytes; this one had {total}. It was dropped." });
                    continue;
                }
                if (type != codec.MessageType)
                {
                    Send(new ErrorFrame { Code = ErrorCodes.MalformedFrame, Message = $"This connection speaks {codec.Subprotocol}: send {codec.MessageType} frames." });
                    continue;
                }
                if (!bucket.TryTake(out var retryAfter))
                {
                    if (++rateStrikes >= services.Options.RateLimitStrikes)
                    {
                        RequestClose(CloseCodes.Flood, "too many frames", new ErrorFrame { Code = ErrorCodes.RateLimited, Message = "Too many frames; closing." });
                        return;
                    }
                    var retryMs = (int)Math.Ceiling(retryAfter.TotalMilliseconds);
                    Send(new ErrorFrame { Code = ErrorCodes.RateLimited, Message = $"Slow down: the frame was dropped; retry after {retryMs} ms.", RetryAfterMs = retryMs, Id = codec.Decode(message.WrittenMemory).Frame?.Id });
                    continue;
                }
                rateStrikes = 0;

                var decoded = codec.Decode(message.WrittenMemory);
                if (decoded.Error is { } error) Send(error);
                else await Dispatch(decoded.Frame!);
            }
            finally
            {
                message.ResetWrittenCount();
                if (message.Capacity > 16 * 1024) message = new ArrayBufferWriter<byte>(256); // don't keep a big buffer for an idle socket
            }
        }
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
                buffer.ResetWrittenCount();
                codec.Encode(frame, buffer);
                await socket.SendAsync(buffer.WrittenMemory, codec.MessageType, endOfMessage: true, lifetime.Token);
                if (frame is MessageFrame message) services.Metrics.MessageDelivered(message.SentAt);
                if (buffer.Capacity > 16 * 1024) buffer = new ArrayBufferWriter<byte>(256);
            }
            var (code, reason) = closeRequest ?? (0, "");
            if (code != 0 && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
        }
        finally
        {
            // The reader ends when the peer answers our close frame; a peer that never answers is cut
            // off after a grace period (cancelling a pending receive aborts the socket).
            if (closeRequest is not null && !lifetime.IsCancellationRequested) lifetime.CancelAfter(CloseHandshakeGrace);
        }
    }

    private async Task Watchdog()
    {
        var options = services.Options;
        var started = services.Time.GetTimestamp();
        var tick = TimeSpan.FromSeconds(Math.Clamp(options.IdleTimeout.TotalSeconds / 10, 0.05, 5));
        try
        {
            while (!lifetime.IsCancellationRequested)
            {
                await Task.Delay(tick, services.Time, lifetime.Token);
                if (session is null && services.Time.GetElapsedTime(started) > options.HelloTimeout)
                {
                    RequestClose(CloseCodes.HelloTimeout, "no hello", new ErrorFrame { Code = ErrorCodes.NotAuthenticated, Message = $"Send a hello within {options.HelloTimeout.TotalSeconds:0} seconds of connecting." });
                    return;
                }
                if (services.Time.GetElapsedTime(Volatile.Read(ref lastReceived)) > options.IdleTimeout)
                {
                    RequestClose(CloseCodes.IdleTimeout, "idle", new ErrorFrame { Code = ErrorCodes.IdleTimeout, Message = $"Nothing received for {options.IdleTimeout.TotalSeconds:0} seconds; send a ping frame at least every {options.IdleTimeout.TotalSeconds / 3:0} seconds." });
                    return;
                }
                if (session is { } current && TenantGone(current))
                {
                    CloseForClosedTenant();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// R3: a socket that said hello before its tenant was closed is closed too (within a watchdog tick plus the
    /// standings cache's lifetime, on every gateway), so no widget or console keeps using a closed account's data.
    /// The watchdog never waits for the cluster: a question still open is looked at again on the next tick, and a
    /// cluster that does not answer leaves the socket open (the idle and hello checks keep running meanwhile).
    /// </summary>
    private bool TenantGone(Session current)
    {
        if (standingCheck is { } pending)
        {
            if (!pending.IsCompleted) return false;
            standingCheck = null;
            if (!pending.IsCompletedSuccessfully)
            {
                _ = pending.Exception; // observed: a timeout or an unavailable cluster, asked again next tick
                return false;
            }
            return pending.Result != TenantStanding.Open;
        }
        var check = services.Standings.Get(current.TenantId);
        if (check.IsCompletedSuccessfully) return check.Result != TenantStanding.Open;
        standingCheck = check.AsTask();
        return false;
    }

    private Task<TenantStanding>? standingCheck;

    /// <summary>The tenant of the session, once the hello is through; the closure watch finds a closed account's sockets by it.</summary>
    public string? TenantId => session?.TenantId;

    /// <summary>R3: the socket's account is closed; sends <c>tenant_closed</c> and closes with 4003 (watchdog or <c>TenantClosureWatch</c>).</summary>
    public void CloseForClosedTenant()
    {
        if (session is not { } current) return;
        RequestClose(CloseCodes.Forbidden, "tenant closed", new ErrorFrame
        {
            Code = ErrorCodes.TenantClosed,
            Message = current.IsAgent
                ? "This account was closed; its data is deleted at the end of the grace period."
                : "This chat is no longer available: the site's account is closed.",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await lifetime.CancelAsync();
        lifetime.Dispose();
    }
}

/// <summary>What the gateway learnt about the connection from the HTTP upgrade request (W4).</summary>
/// <summary>What the gateway reads from a socket's connection; <paramref name="Country"/> comes from the country table.</summary>
public sealed record ConnectionInfo(string? IpAddress, string? UserAgent, string? Origin, string? Country = null);
