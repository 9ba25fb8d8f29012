using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.WebSockets;
using ChatCluster.LoadTests.Baselines;
using ChatCluster.LoadTests.Network;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatCluster.LoadTests.Scenarios;

/// <summary>
/// Relay payload: sequence number and the sender's <see cref="Stopwatch"/> timestamp, then filler.
/// Stopwatch is CLOCK_MONOTONIC on Linux, shared by all processes of the machine, so a receiver in
/// another process could compute the same end-to-end latency.
/// </summary>
public static class RelayPayload
{
    public const int HeaderSize = 16;

    public static byte[] Create(int size, long sequence)
    {
        var payload = new byte[Math.Max(size, HeaderSize)];
        payload.AsSpan(HeaderSize).Fill((byte)'x');
        BinaryPrimitives.WriteInt64LittleEndian(payload, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(8), Stopwatch.GetTimestamp());
        return payload;
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, out long sequence, out TimeSpan sinceSent)
    {
        if (payload.Length < HeaderSize)
        {
            (sequence, sinceSent) = (0, TimeSpan.Zero);
            return false;
        }
        sequence = BinaryPrimitives.ReadInt64LittleEndian(payload);
        sinceSent = Stopwatch.GetElapsedTime(BinaryPrimitives.ReadInt64LittleEndian(payload[8..]));
        return true;
    }
}

/// <summary>
/// One side of a pair. It completes the expectation set by <see cref="Expect"/> when that message arrives; several
/// expectations may be open at once (open model: several messages in flight per pair).
/// </summary>
public abstract class RelayPeer : IAsyncDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, TaskCompletionSource<TimeSpan>> _expected = new();
    private volatile bool _closed;

    /// <summary>Arms the peer for message <paramref name="sequence"/>; the task yields its end-to-end latency.</summary>
    public Task<TimeSpan> Expect(long sequence)
    {
        var tcs = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        _expected[sequence] = tcs;
        if (_closed) tcs.TrySetException(new WebSocketException(WebSocketError.ConnectionClosedPrematurely));
        return tcs.Task;
    }

    /// <summary>Disarms an expectation that timed out or whose send failed.</summary>
    public void Forget(long sequence) => _expected.TryRemove(sequence, out _);

    public abstract Task SendAsync(byte[] payload, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    protected void OnReceived(ReadOnlySpan<byte> payload)
    {
        // Messages that arrive after their step timed out are no longer armed and are dropped.
        if (RelayPayload.TryRead(payload, out var sequence, out var latency) && _expected.TryRemove(sequence, out var tcs))
            tcs.TrySetResult(latency);
    }

    protected void OnClosed(Exception? error)
    {
        _closed = true;
        foreach (var key in _expected.Keys)
            if (_expected.TryRemove(key, out var tcs)) tcs.TrySetException(error ?? new WebSocketException(WebSocketError.ConnectionClosedPrematurely));
    }
}

/// <summary>Speaks to the bare Kestrel relay (or anything that relays raw binary frames).</summary>
public sealed class WebSocketRelayPeer : RelayPeer
{
    private readonly ClientWebSocket _socket;
    private readonly Task _receiving;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    private WebSocketRelayPeer(ClientWebSocket socket, int messageSize)
    {
        _socket = socket;
        _receiving = ReceiveAsync(messageSize);
    }

    public static async Task<WebSocketRelayPeer> ConnectAsync(LoopbackConnector connector, Uri relayUrl, string pair, int messageSize, CancellationToken cancellationToken)
    {
        var url = new UriBuilder(LoopbackConnector.ToWebSocketUri(relayUrl)) { Query = "pair=" + Uri.EscapeDataString(pair) }.Uri;
        var socket = await connector.ConnectWebSocketAsync(url, cancellationToken);
        return new WebSocketRelayPeer(socket, messageSize);
    }

    public override async Task SendAsync(byte[] payload, CancellationToken cancellationToken)
    {
        // A ClientWebSocket takes one send at a time; with several messages in flight per pair they queue here.
        await _sendLock.WaitAsync(cancellationToken);
        try { await _socket.SendAsync(payload, WebSocketMessageType.Binary, true, cancellationToken); }
        finally { _sendLock.Release(); }
    }

    private async Task ReceiveAsync(int messageSize)
    {
        var buffer = new byte[Math.Max(messageSize, RelayPayload.HeaderSize) + 1024];
        Exception? error = null;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), _stop.Token);
                    length += result.Count;
                } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close) break;
                OnReceived(buffer.AsSpan(0, length));
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex) { error = ex; }
        OnClosed(error);
    }

    public override async ValueTask DisposeAsync()
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
        _stop.Cancel();
        await Task.WhenAny(_receiving, Task.Delay(TimeSpan.FromSeconds(2)));
        _socket.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }
}

/// <summary>Speaks to the SignalR baseline hub: joins the pair's group, sends through the hub.</summary>
public sealed class SignalRRelayPeer : RelayPeer
{
    private readonly HubConnection _connection;
    private readonly string _pair;

    private SignalRRelayPeer(HubConnection connection, string pair)
    {
        _connection = connection;
        _pair = pair;
        _connection.On<byte[]>(RelayHub.ReceiveMethod, payload => OnReceived(payload));
        _connection.Closed += error =>
        {
            OnClosed(error);
            return Task.CompletedTask;
        };
    }

    public static async Task<SignalRRelayPeer> ConnectAsync(LoopbackConnector connector, Uri hubUrl, string pair, CancellationToken cancellationToken)
    {
        // SignalR wants the hub's http(s) URL even when it will speak WebSockets.
        if (hubUrl.Scheme is "ws" or "wss") hubUrl = new UriBuilder(hubUrl) { Scheme = hubUrl.Scheme == "ws" ? "http" : "https", Port = hubUrl.Port }.Uri;
        var connection = new HubConnectionBuilder()
            .WithUrl(hubUrl, options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                // Same source-address binding and loopback check as the raw relay client.
                options.WebSocketFactory = async (context, ct) => await connector.ConnectWebSocketAsync(context.Uri, ct);
            })
            .Build();
        var peer = new SignalRRelayPeer(connection, pair);
        try
        {
            await connection.StartAsync(cancellationToken);
            await connection.InvokeAsync(RelayHub.JoinMethod, pair, cancellationToken);
            return peer;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public override Task SendAsync(byte[] payload, CancellationToken cancellationToken) =>
        _connection.SendAsync(RelayHub.RelayMethod, _pair, payload, cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _connection.StopAsync(timeout.Token);
        }
        catch (Exception) { /* closing is best effort */ }
        await _connection.DisposeAsync();
    }
}
