using System.Net;
using System.Net.Sockets;

namespace ChatCluster.Grains.Integrations;

/// <summary>
/// Which webhook targets are allowed (I2): http(s) URLs only, and no address in a loopback, private, link-local, CGNAT,
/// multicast or unspecified range unless the operator allowed private targets. Checked when an endpoint is registered
/// (for literal addresses and <c>localhost</c>) and again for every address a name resolves to at connect time.
/// </summary>
public static class WebhookTargets
{
    public const int MaxUrlLength = 2000;

    public static string? Problem(string? url, bool allowPrivate)
    {
        if (string.IsNullOrWhiteSpace(url)) return "url is required.";
        if (url.Length > MaxUrlLength) return $"url is at most {MaxUrlLength} characters.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || string.IsNullOrEmpty(uri.Host))
            return "url must be an absolute http(s) URL.";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "url must not carry a user name or password.";
        if (allowPrivate) return null;
        if (uri.IsLoopback || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return "Loopback targets are refused (ChatCluster:Webhooks:AllowPrivateTargets).";
        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IsPrivate(ip))
            return "Targets in private, loopback or link-local ranges are refused (ChatCluster:Webhooks:AllowPrivateTargets).";
        return null;
    }

    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.None)) return true;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b6 = address.GetAddressBytes();
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (b6[0] & 0xfe) == 0xfc; // fc00::/7 unique local
        }
        var b = address.GetAddressBytes();
        return b[0] == 10 || b[0] == 127 || b[0] == 0
            || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254)              // link-local, cloud metadata
            || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) // CGNAT
            || b[0] >= 224;                              // multicast, reserved, broadcast
    }
}
