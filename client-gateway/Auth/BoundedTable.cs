using System.Collections.Concurrent;
using System.Net;

namespace ChatCluster.Gateway.Auth;

/// <summary>
/// A table of per-source counts (login throttle, visitor quotas) kept near <paramref name="max"/> entries: when it is
/// full, entries that no longer change any answer (lock over, allowance refilled) are dropped, at most once a second
/// so a flood does not turn every attempt into a scan. Past twice the bound — a flood from more sources than the
/// table holds — it starts over: such a flood gains nothing from a per-source count anyway, and the memory stays bounded.
/// </summary>
public sealed class BoundedTable<T>(int max)
{
    private DateTimeOffset lastPrune = DateTimeOffset.MinValue;

    public ConcurrentDictionary<string, T> Entries { get; } = new(StringComparer.Ordinal);

    public void MakeRoom(DateTimeOffset now, Func<T, bool> finished)
    {
        if (Entries.Count < max) return;
        lock (Entries)
        {
            if (now - lastPrune < TimeSpan.FromSeconds(1)) return;
            lastPrune = now;
            foreach (var (key, entry) in Entries)
            {
                if (finished(entry)) Entries.TryRemove(key, out _);
            }
            if (Entries.Count >= 2 * max) Entries.Clear();
        }
    }
}

public static class ClientAddress
{
    /// <summary>
    /// The client an allowance belongs to: an IPv4 address, or an IPv6 /64 (one subscriber's usual assignment, so
    /// a host cannot multiply its allowance by walking its own prefix).
    /// </summary>
    public static string Key(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4().ToString();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    public static string Key(string? address) => Key(IPAddress.TryParse(address, out var parsed) ? parsed : null);
}
