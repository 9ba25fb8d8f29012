using System.Buffers;
using System.Net.WebSockets;
using ChatCluster.LoadTests.Network;

namespace ChatCluster.LoadTests.Gateway;

/// <summary>
/// One client WebSocket to a ChatCluster gateway's <c>/ws</c>, in either encoding. A receive loop reads
/// every server frame and completes the waiter for its <c>id</c> (a reply) or its <c>clientMessageId</c> (a
/// <c>message</c>), looked up by key so hundreds of messages in flight cost nothing per frame, else the first
/// waiter whose condition matches; other frames are dropped (events this client does not wait for, e.g. inbox
/// updates) after <see cref="OnFrame"/> has seen them. Idle sockets wait with a zero-byte read and
/// rent a buffer only when data arrives, so 19,000 of them in one worker stay cheap.
/// </summary>
public sealed class GatewaySocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly WireEncoding _encoding;
    private readonly List<(Func<WireFrame, bool> Match, TaskCompletionSource<WireFrame> Done)> _waiters = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<WireFrame>> _replies = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<WireFrame>> _messages = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private int _nextId;

    private GatewaySocket(ClientWebSocket socket, WireEncoding encoding)
    {
        _socket = socket;
        _encoding = encoding;
        _receiving = ReceiveLoop();
    }

    public WireEncoding Encoding => _encoding;

    public long BytesSent;
    public long BytesReceived;

    /// <summary>Called for every frame before waiters see it (on the receive loop: keep it short).</summary>
    public Action<WireFrame>? OnFrame { get; set; }

    public static async Task<GatewaySocket> ConnectAsync(LoopbackConnector connector, Uri gateway, WireEncoding encoding, CancellationToken cancellationToken)
    {
        var url = new Uri(LoopbackConnector.ToWebSocketUri(gateway), "/ws");
        var socket = await connector.ConnectWebSocketAsync(url, cancellationToken, o => o.AddSubProtocol(WireCodec.Subprotocol(encoding)));
        return new GatewaySocket(socket, encoding);
    }

    public string NextId() => "r" + Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Arms a waiter BEFORE sending what triggers the frame, so a fast answer cannot be missed.</summary>
    public Task<WireFrame> Expect(Func<WireFrame, bool> match, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<WireFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = (match, done);
        lock (_waiters) _waiters.Add(waiter);
        if (_receiving.IsCompleted) done.TrySetException(new WebSocketException(WebSocketError.ConnectionClosedPrematurely));
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() =>
            {
                lock (_waiters) _waiters.Remove(waiter);
                done.TrySetCanceled(cancellationToken);
            });
            _ = done.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return done.Task;
    }

    /// <summary>Arms a waiter for the <c>message</c> frame with <paramref name="clientMessageId"/> (before the send).</summary>
    public Task<WireFrame> ExpectMessage(string clientMessageId, CancellationToken cancellationToken) =>
        ExpectKeyed(_messages, clientMessageId, cancellationToken);

    /// <summary>Disarms <see cref="ExpectMessage"/> when the message will not come (its send failed or timed out).</summary>
    public void ForgetMessage(string clientMessageId) => _messages.TryRemove(clientMessageId, out _);

    private Task<WireFrame> ExpectKeyed(System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource<WireFrame>> waiters, string key, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<WireFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        waiters[key] = done;
        if (_receiving.IsCompleted && waiters.TryRemove(key, out _)) done.TrySetException(new WebSocketException(WebSocketError.ConnectionClosedPrematurely));
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() =>
            {
                waiters.TryRemove(new KeyValuePair<string, TaskCompletionSource<WireFrame>>(key, done));
                done.TrySetCanceled(cancellationToken);
            });
            _ = done.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return done.Task;
    }

    /// <summary>Sends a frame and waits for the reply carrying its id (or an error with that id, thrown as <see cref="GatewayErrorException"/>).</summary>
    public async Task<WireFrame> RequestAsync(string expectedType, CancellationToken cancellationToken, params (string Key, object? Value)[] fields)
    {
        var id = NextId();
        var reply = ExpectKeyed(_replies, id, cancellationToken);
        WireFrame frame;
        try
        {
            await SendAsync([("id", id), .. fields], cancellationToken);
            frame = await reply;
        }
        finally { _replies.TryRemove(id, out _); }
        if (frame.Type == "error") throw new GatewayErrorException(frame.Code ?? "error");
        if (frame.Type != expectedType) throw new GatewayErrorException("unexpected_" + frame.Type);
        return frame;
    }

    public async Task SendAsync((string Key, object? Value)[] fields, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WireCodec.Write(_encoding, buffer, fields);
        var type = _encoding == WireEncoding.Json ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(buffer.WrittenMemory, type, true, cancellationToken);
            Interlocked.Add(ref BytesSent, buffer.WrittenCount);
        }
        finally { _sendLock.Release(); }
    }

    private async Task ReceiveLoop()
    {
        Exception? error = null;
        var message = new ArrayBufferWriter<byte>(512);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var peek = await _socket.ReceiveAsync(Memory<byte>.Empty, _stop.Token);
                if (peek.MessageType == WebSocketMessageType.Close) break;
                var rented = ArrayPool<byte>.Shared.Rent(4096);
                try
                {
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await _socket.ReceiveAsync(rented.AsMemory(), _stop.Token);
                        message.Write(rented.AsSpan(0, result.Count));
                    } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                    if (result.MessageType == WebSocketMessageType.Close) break;
                }
                finally { ArrayPool<byte>.Shared.Return(rented); }
                var receivedAt = System.Diagnostics.Stopwatch.GetTimestamp();
                Interlocked.Add(ref BytesReceived, message.WrittenCount);
                var frame = WireCodec.Read(_encoding, new ReadOnlySequence<byte>(message.WrittenMemory));
                frame.ReceivedAt = receivedAt;
                Dispatch(frame);
                message.ResetWrittenCount();
                if (message.Capacity > 16 * 1024) message = new ArrayBufferWriter<byte>(512);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex) { error = ex; }
        FailWaiters(error is null && !_stop.IsCancellationRequested
            ? new WebSocketException(WebSocketError.ConnectionClosedPrematurely, $"closed by the gateway ({_socket.CloseStatus} {_socket.CloseStatusDescription})")
            : error ?? new OperationCanceledException());
    }

    private void Dispatch(WireFrame frame)
    {
        OnFrame?.Invoke(frame);
        if (frame.Id is { } id && _replies.TryRemove(id, out var reply))
        {
            reply.TrySetResult(frame);
            return;
        }
        if (frame.Type == "message" && frame.ClientMessageId is { } clientMessageId && _messages.TryRemove(clientMessageId, out var message))
        {
            message.TrySetResult(frame);
            return;
        }
        TaskCompletionSource<WireFrame>? done = null;
        lock (_waiters)
        {
            for (var i = 0; i < _waiters.Count; i++)
            {
                if (!_waiters[i].Match(frame)) continue;
                done = _waiters[i].Done;
                _waiters.RemoveAt(i);
                break;
            }
        }
        done?.TrySetResult(frame);
    }

    private void FailWaiters(Exception error)
    {
        List<TaskCompletionSource<WireFrame>> failing;
        lock (_waiters)
        {
            failing = _waiters.Select(w => w.Done).ToList();
            _waiters.Clear();
        }
        foreach (var waiters in new[] { _replies, _messages })
            foreach (var key in waiters.Keys)
                if (waiters.TryRemove(key, out var keyed)) failing.Add(keyed);
        foreach (var done in failing) done.TrySetException(error);
    }

    public bool IsOpen => _socket.State == WebSocketState.Open && !_receiving.IsCompleted;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception) { /* closing is best effort */ }
        await _stop.CancelAsync();
        await Task.WhenAny(_receiving, Task.Delay(TimeSpan.FromSeconds(2)));
        _socket.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }
}

/// <summary>The gateway answered with an error frame; its protocol code becomes the step's error code.</summary>
public sealed class GatewayErrorException(string code) : Exception($"gateway error {code}")
{
    public string Code { get; } = code;
}
