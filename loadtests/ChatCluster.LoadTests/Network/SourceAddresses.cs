using System.Globalization;
using System.Net;

namespace ChatCluster.LoadTests.Network;

/// <summary>
/// Parses --source-addresses: a count "8" (127.0.0.1 … 127.0.0.8), a range "127.0.0.2-127.0.0.20",
/// or a comma-separated list of either. Each source address gives ~28,000 more ephemeral ports.
/// </summary>
public static class SourceAddresses
{
    public const int MaxAddresses = 254;

    public static IReadOnlyList<IPAddress> Parse(string spec)
    {
        var result = new List<IPAddress>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                if (count is < 1 or > MaxAddresses) throw new FormatException($"--source-addresses count must be 1..{MaxAddresses}, not {count}.");
                for (var i = 1; i <= count; i++) result.Add(new IPAddress([127, 0, 0, (byte)i]));
            }
            else if (part.Contains('-'))
            {
                var ends = part.Split('-', 2, StringSplitOptions.TrimEntries);
                var from = ParseLoopbackV4(ends[0]).GetAddressBytes();
                var to = ParseLoopbackV4(ends[1]).GetAddressBytes();
                if (from[0] != to[0] || from[1] != to[1] || from[2] != to[2] || to[3] < from[3])
                    throw new FormatException($"Source address range '{part}' must vary only in its last byte, low to high.");
                for (var b = from[3]; b <= to[3]; b++) result.Add(new IPAddress([from[0], from[1], from[2], (byte)b]));
            }
            else
            {
                var address = IPAddress.Parse(part);
                if (!LoopbackGuard.IsLoopback(address)) throw new FormatException($"Source address {address} is not a loopback address.");
                result.Add(address);
            }
        }
        var distinct = result.Distinct().ToList();
        if (distinct.Count > MaxAddresses) throw new FormatException($"At most {MaxAddresses} source addresses.");
        return distinct;
    }

    /// <summary>Deals the addresses round-robin to workers; a worker with none left over shares one.</summary>
    public static IReadOnlyList<IPAddress> ShareFor(IReadOnlyList<IPAddress> all, int workerIndex, int workerCount)
    {
        if (all.Count == 0) return [];
        var mine = all.Where((_, i) => i % workerCount == workerIndex).ToList();
        return mine.Count > 0 ? mine : [all[workerIndex % all.Count]];
    }

    public static string Format(IReadOnlyList<IPAddress> addresses) => string.Join(',', addresses);

    private static IPAddress ParseLoopbackV4(string text)
    {
        var address = IPAddress.Parse(text);
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !LoopbackGuard.IsLoopback(address))
            throw new FormatException($"Source address {text} is not an IPv4 loopback address (127.0.0.0/8).");
        return address;
    }
}
