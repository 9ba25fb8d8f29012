using System.Net;
using System.Net.Sockets;

namespace ChatCluster.LoadTests.Network;

public sealed class NotLoopbackException(string message) : Exception(message);

/// <summary>
/// The load tests may send traffic only to this machine. Every target URL is checked before a run,
/// and every socket again at connect time (so a name that re-resolves elsewhere is still refused).
/// </summary>
public static class LoopbackGuard
{
    public static bool IsLoopback(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetwork) return address.GetAddressBytes()[0] == 127;
        return address.Equals(IPAddress.IPv6Loopback);
    }

    /// <summary>Resolves the URL's host and throws <see cref="NotLoopbackException"/> unless every address is loopback.</summary>
    public static async Task<IPAddress[]> EnsureLoopbackAsync(Uri url, CancellationToken cancellationToken = default)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("ws" or "wss" or "http" or "https"))
            throw new NotLoopbackException($"Refusing target '{url}': only absolute ws://, wss://, http:// or https:// URLs are accepted.");
        var addresses = await ResolveAsync(url.IdnHost, cancellationToken);
        EnsureLoopback(url.ToString(), addresses);
        return addresses;
    }

    public static void EnsureLoopback(string target, IReadOnlyCollection<IPAddress> addresses)
    {
        if (addresses.Count == 0)
            throw new NotLoopbackException($"Refusing target '{target}': its host resolves to no address.");
        var outside = addresses.Where(a => !IsLoopback(a)).ToList();
        if (outside.Count > 0)
            throw new NotLoopbackException(
                $"Refusing target '{target}': it resolves to {string.Join(", ", outside)}, which is not a loopback address. " +
                "Load tests send traffic only to 127.0.0.0/8 or ::1 (e.g. ws://127.0.0.1:5000/…).");
    }

    internal static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var trimmed = host.Trim('[', ']');
        if (IPAddress.TryParse(trimmed, out var literal)) return [literal];
        try
        {
            return await Dns.GetHostAddressesAsync(trimmed, cancellationToken);
        }
        catch (SocketException ex)
        {
            throw new NotLoopbackException($"Refusing target host '{host}': it does not resolve ({ex.SocketErrorCode}).");
        }
    }
}
