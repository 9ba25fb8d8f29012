using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace ChatCluster.LoadTests.Network;

/// <summary>
/// Opens client connections from this process's 127.0.0.x source addresses, round-robin.
/// ClientWebSocket cannot bind a local endpoint itself, so each source address gets a
/// <see cref="SocketsHttpHandler"/> whose ConnectCallback binds the socket first; the handler is handed to
/// <see cref="ClientWebSocket.ConnectAsync(Uri, HttpMessageInvoker, CancellationToken)"/>.
/// The callback refuses any remote address that is not loopback.
/// </summary>
public sealed class LoopbackConnector : IDisposable
{
    // Linux IP_BIND_ADDRESS_NO_PORT: defer the ephemeral port choice to connect(), so a bound source
    // address can reuse a port towards different destinations instead of exhausting its range at bind().
    private const int IpBindAddressNoPort = 24;

    private readonly IReadOnlyList<IPAddress> _sources;
    private readonly HttpMessageInvoker[] _invokers;
    private int _next = -1;

    public LoopbackConnector(IReadOnlyList<IPAddress> sourceAddresses)
    {
        foreach (var source in sourceAddresses)
        {
            if (!LoopbackGuard.IsLoopback(source)) throw new NotLoopbackException($"Source address {source} is not loopback.");
        }
        _sources = sourceAddresses;
        _invokers = sourceAddresses.Count == 0
            ? [new HttpMessageInvoker(CreateHandler(null))]
            : sourceAddresses.Select(a => new HttpMessageInvoker(CreateHandler(a))).ToArray();
    }

    public IReadOnlyList<IPAddress> SourceAddresses => _sources;

    /// <summary>The next invoker (and so source address) in round-robin order; share it freely.</summary>
    public HttpMessageInvoker NextInvoker() => _invokers[(int)((uint)Interlocked.Increment(ref _next) % (uint)_invokers.Length)];

    /// <summary>Connects a WebSocket from the next source address.</summary>
    public async Task<ClientWebSocket> ConnectWebSocketAsync(Uri url, CancellationToken cancellationToken, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            configure?.Invoke(socket.Options);
            await socket.ConnectAsync(ToWebSocketUri(url), NextInvoker(), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static Uri ToWebSocketUri(Uri url) => url.Scheme switch
    {
        "http" => new UriBuilder(url) { Scheme = "ws", Port = url.Port }.Uri,
        "https" => new UriBuilder(url) { Scheme = "wss", Port = url.Port }.Uri,
        _ => url,
    };

    private static SocketsHttpHandler CreateHandler(IPAddress? source) => new()
    {
        UseProxy = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, source, cancellationToken),
    };

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, IPAddress? source, CancellationToken cancellationToken)
    {
        var addresses = await LoopbackGuard.ResolveAsync(endPoint.Host, cancellationToken);
        LoopbackGuard.EnsureLoopback($"{endPoint.Host}:{endPoint.Port}", addresses);
        var remote = source is null
            ? addresses[0]
            : addresses.FirstOrDefault(a => a.AddressFamily == source.AddressFamily)
              ?? throw new SocketException((int)SocketError.AddressFamilyNotSupported);
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                if (OperatingSystem.IsLinux() && source.AddressFamily == AddressFamily.InterNetwork)
                {
                    try { socket.SetRawSocketOption((int)SocketOptionLevel.IP, IpBindAddressNoPort, BitConverter.GetBytes(1)); }
                    catch (SocketException) { /* older kernel: bind picks the port, still correct */ }
                }
                socket.Bind(new IPEndPoint(source, 0));
            }
            await socket.ConnectAsync(new IPEndPoint(remote, endPoint.Port), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var invoker in _invokers) invoker.Dispose();
    }
}
