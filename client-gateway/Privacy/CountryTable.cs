using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ChatCluster.Gateway.Geo;

/// <summary>
/// IP address ranges to countries, for the coarse location the anonymised statistics keep (R2). The gateway looks
/// the visitor's address up once per connection; only the two-letter code travels on, next to the address itself.
/// </summary>
/// <remarks>
/// The table is a CSV file of <c>first,last,country</c> lines (IPv4 or IPv6, inclusive, ISO 3166-1 alpha-2), the
/// layout of the freely licensed "IP to Country Lite" download of DB-IP, for example; quotes, blank lines and
/// <c>#</c> comments are allowed. Without a table every visitor's country is unknown.
/// </remarks>
public sealed class CountryTable
{
    public static readonly CountryTable Empty = new([], [], []);

    private readonly UInt128[] firsts;
    private readonly UInt128[] lasts;
    private readonly string[] countries;

    private CountryTable(UInt128[] firsts, UInt128[] lasts, string[] countries)
    {
        this.firsts = firsts;
        this.lasts = lasts;
        this.countries = countries;
    }

    public int Ranges => firsts.Length;

    /// <summary>The country of <paramref name="address"/>, or null when no range holds it.</summary>
    public string? Find(IPAddress? address)
    {
        if (address is null || firsts.Length == 0) return null;
        var key = Key(address);
        var index = Array.BinarySearch(firsts, key);
        if (index < 0) index = ~index - 1; // the last range starting at or before the address
        return index >= 0 && key <= lasts[index] ? countries[index] : null;
    }

    public string? Find(string? address) => IPAddress.TryParse(address, out var parsed) ? Find(parsed) : null;

    /// <summary>Reads a table; null or empty path gives <see cref="Empty"/>. A bad line fails with its number and what is wrong.</summary>
    public static CountryTable Load(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return Empty;
        if (!File.Exists(path)) throw new InvalidDataException($"The country table '{path}' does not exist (setting ChatCluster:Gateway:CountryTablePath).");
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }

    public static CountryTable Parse(TextReader reader, string source = "country table")
    {
        var ranges = new List<(UInt128 First, UInt128 Last, string Country)>();
        var codes = new Dictionary<string, string>(StringComparer.Ordinal); // one string per country, not per line
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var text = line.Trim();
            if (text.Length == 0 || text[0] == '#') continue;
            var fields = text.Split(',');
            if (fields.Length < 3) throw Bad(source, number, "expected first,last,country");
            if (!IPAddress.TryParse(Unquote(fields[0]), out var first) || !IPAddress.TryParse(Unquote(fields[1]), out var last))
                throw Bad(source, number, "the first two fields must be IP addresses");
            if (Family(first) != Family(last)) throw Bad(source, number, "a range's two ends must both be IPv4 or both IPv6");
            var (from, to) = (Key(first), Key(last));
            if (from > to) throw Bad(source, number, "the range ends before it starts");
            var code = Unquote(fields[2]).ToUpperInvariant();
            if (code.Length != 2 || !char.IsAsciiLetterUpper(code[0]) || !char.IsAsciiLetterUpper(code[1]))
                throw Bad(source, number, $"'{Unquote(fields[2])}' is not a two-letter country code");
            if (!codes.TryGetValue(code, out var shared)) codes[code] = shared = code;
            ranges.Add((from, to, shared));
        }
        ranges.Sort((a, b) => a.First.CompareTo(b.First));
        for (var i = 1; i < ranges.Count; i++)
        {
            if (ranges[i].First <= ranges[i - 1].Last)
                throw new InvalidDataException($"{source}: the ranges starting at {Text(ranges[i - 1].First)} and {Text(ranges[i].First)} overlap.");
        }
        return new CountryTable([.. ranges.Select(r => r.First)], [.. ranges.Select(r => r.Last)], [.. ranges.Select(r => r.Country)]);
    }

    /// <summary>IPv4 addresses (also IPv4-mapped IPv6 ones, as dual-stack sockets report them) sit in ::ffff:0:0/96.</summary>
    private static UInt128 Key(IPAddress address)
    {
        var v6 = address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address;
        Span<byte> bytes = stackalloc byte[16];
        v6.TryWriteBytes(bytes, out _);
        return new UInt128(
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[..8]),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
    }

    private static AddressFamily Family(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? AddressFamily.InterNetwork : address.AddressFamily;

    private static string Text(UInt128 key)
    {
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, key);
        var address = new IPAddress(bytes);
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    private static string Unquote(string field) => field.Trim().Trim('"').Trim();

    private static InvalidDataException Bad(string source, int line, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{source}, line {line}: {what}."));
}
