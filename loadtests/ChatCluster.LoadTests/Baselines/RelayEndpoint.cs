using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace ChatCluster.LoadTests.Baselines;

/// <summary>
/// Baseline (a): the floor of what the machine can do. Two sockets join <c>/relay?pair=id</c>; every frame
/// one sends is written to the other, fragment by fragment, through a 4 KB buffer per socket.
/// </summary>
public sealed class RelayEndpoint
{
    public const string Path = "/relay";
    private const int BufferSize = 4096;
    private static readonly TimeSpan PartnerWait = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private int _openSockets;

    public int OpenSockets => Volatile.Read(ref _openSockets);

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("WebSocket upgrade expected.");
            return;
        }
        var pair = context.Request.Query["pair"].ToString();
        if (pair.Length is 0 or > 128)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("Query parameter 'pair' (1..128 chars) is required.");
            return;
        }
        var room = _rooms.GetOrAdd(pair, _ => new Room());
        if (!room.TryReserveSeat(out var seat))
        {
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            await context.Response.WriteAsync("This pair already has two sockets.");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        Interlocked.Increment(ref _openSockets);
        try
        {
            room.Seat(seat, socket);
            var partner = await room.PartnerOf(seat).WaitAsync(PartnerWait, context.RequestAborted);
            await PumpAsync(socket, partner, context.RequestAborted);
        }
        catch (TimeoutException)
        {
            await CloseQuietly(socket, WebSocketCloseStatus.PolicyViolation, "partner did not join");
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
        finally
        {
            Interlocked.Decrement(ref _openSockets);
            if (room.Leave()) _rooms.TryRemove(new KeyValuePair<string, Room>(pair, room));
        }
    }

    private static async Task PumpAsync(WebSocket from, WebSocket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        while (true)
        {
            var received = await from.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await CloseQuietly(to, WebSocketCloseStatus.NormalClosure, "partner left");
                await CloseQuietly(from, WebSocketCloseStatus.NormalClosure, "bye");
                return;
            }
            // Only this loop writes to `to` (its own loop only reads), so sends need no lock.
            if (to.State == WebSocketState.Open)
                await to.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, cancellationToken);
        }
    }

    private static async Task CloseQuietly(WebSocket socket, WebSocketCloseStatus status, string reason)
    {
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await socket.CloseOutputAsync(status, reason, CancellationToken.None);
        }
        catch (WebSocketException) { }
        catch (ObjectDisposedException) { }
    }

    private sealed class Room
    {
        private readonly TaskCompletionSource<WebSocket>[] _seats =
            [new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously)];
        private int _taken;
        private int _left;

        public bool TryReserveSeat(out int seat)
        {
            seat = Interlocked.Increment(ref _taken) - 1;
            return seat < 2;
        }

        public void Seat(int seat, WebSocket socket) => _seats[seat].TrySetResult(socket);

        public Task<WebSocket> PartnerOf(int seat) => _seats[1 - seat].Task;

        /// <summary>True for the last socket to leave: the room can go.</summary>
        public bool Leave() => Interlocked.Increment(ref _left) >= Math.Min(2, Volatile.Read(ref _taken));
    }
}
