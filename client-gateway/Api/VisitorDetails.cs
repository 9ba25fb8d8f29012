using System.Net;

namespace ChatCluster.Gateway.Api;

/// <summary>
/// Coarse forms of a visitor's technical data for the agents' visitor panel (W4): the network the IP belongs to
/// instead of the address, and the browser family instead of the whole user agent.
/// </summary>
public static class VisitorDetails
{
    /// <summary>IPv4 truncated to its /24 (<c>203.0.113.0/24</c>), IPv6 to its /48 (<c>2001:db8:abcd::/48</c>); null if unreadable.</summary>
    public static string? TruncateIp(string? ip)
    {
        if (string.IsNullOrWhiteSpace(ip) || !IPAddress.TryParse(ip.Trim(), out var address)) return null;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        var keep = bytes.Length == 4 ? 3 : 6;
        for (var i = keep; i < bytes.Length; i++) bytes[i] = 0;
        return $"{new IPAddress(bytes)}/{keep * 8}";
    }

    /// <summary>"Firefox on Windows", "Safari on iOS", … from the user agent; "Unknown" when nothing fits.</summary>
    public static string BrowserFamily(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent)) return "Unknown";
        var ua = userAgent;
        string browser =
            Has(ua, "Edg/") || Has(ua, "Edge/") ? "Edge" :
            Has(ua, "OPR/") || Has(ua, "Opera") ? "Opera" :
            Has(ua, "Firefox/") || Has(ua, "FxiOS/") ? "Firefox" :
            Has(ua, "HeadlessChrome/") ? "Headless Chrome" :
            Has(ua, "Chromium/") ? "Chromium" :
            Has(ua, "Chrome/") || Has(ua, "CriOS/") ? "Chrome" :
            Has(ua, "Safari/") ? "Safari" :
            "Other";
        string? os =
            Has(ua, "Android") ? "Android" :
            Has(ua, "iPhone") || Has(ua, "iPad") || Has(ua, "iPod") ? "iOS" :
            Has(ua, "Windows") ? "Windows" :
            Has(ua, "Mac OS X") || Has(ua, "Macintosh") ? "macOS" :
            Has(ua, "CrOS") ? "ChromeOS" :
            Has(ua, "Linux") ? "Linux" :
            null;
        return os is null ? browser : $"{browser} on {os}";
    }

    private static bool Has(string ua, string token) => ua.Contains(token, StringComparison.OrdinalIgnoreCase);
}
