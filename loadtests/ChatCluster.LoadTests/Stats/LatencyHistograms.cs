using HdrHistogram;
using HdrHistogram.Utilities;

namespace ChatCluster.LoadTests.Stats;

/// <summary>
/// Latencies are recorded in microseconds into HdrHistograms (3 significant digits). Workers ship them
/// to the coordinator in HdrHistogram's compressed encoding (base64), where they are added together:
/// percentiles of a merged run are exact to the histogram's precision, never averages of percentiles.
/// </summary>
public static class LatencyHistograms
{
    /// <summary>60 s: longer than any step timeout we allow, so no recorded latency is clipped.</summary>
    public const long HighestTrackableMicros = 60_000_000;

    public static LongHistogram Create() => new(1, HighestTrackableMicros, 3);

    public static long ToMicros(TimeSpan latency) => Math.Clamp(latency.Ticks / 10, 1, HighestTrackableMicros);

    /// <summary>Marks the harness's own encoding: (value, count) pairs of the recorded buckets, 7-bit varints.</summary>
    private const string PairsPrefix = "pairs:";

    /// <summary>
    /// The recorded buckets as (value, count) pairs, varint-packed and base64: lossless at the histogram's precision.
    /// (HdrHistogram's compressed encoding is not used: its decoder reads the deflate stream with one Read call and
    /// fails with "The buffer does not contain the indicated payload amount" once a histogram spans many buckets.)
    /// </summary>
    public static string Encode(HistogramBase histogram)
    {
        using var bytes = new MemoryStream();
        using (var writer = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            foreach (var bucket in histogram.RecordedValues())
            {
                writer.Write7BitEncodedInt64(bucket.ValueIteratedTo);
                writer.Write7BitEncodedInt64(bucket.CountAtValueIteratedTo);
            }
        }
        return PairsPrefix + Convert.ToBase64String(bytes.GetBuffer(), 0, (int)bytes.Length);
    }

    public static HistogramBase Decode(string encoded)
    {
        if (!encoded.StartsWith(PairsPrefix, StringComparison.Ordinal))
        {
            // Reports written before the pairs encoding.
            var buffer = ByteBuffer.Allocate(Convert.FromBase64String(encoded));
            return HistogramEncoding.DecodeFromCompressedByteBuffer(buffer, 0);
        }
        var histogram = Create();
        using var reader = new BinaryReader(new MemoryStream(Convert.FromBase64String(encoded[PairsPrefix.Length..])));
        while (reader.BaseStream.Position < reader.BaseStream.Length)
        {
            var value = reader.Read7BitEncodedInt64();
            var count = reader.Read7BitEncodedInt64();
            histogram.RecordValueWithCount(Math.Clamp(value, 1, HighestTrackableMicros), count);
        }
        return histogram;
    }

    /// <summary>Adds decoded histograms into one fresh histogram.</summary>
    public static LongHistogram Merge(IEnumerable<string> encoded)
    {
        var merged = Create();
        foreach (var item in encoded)
        {
            if (!string.IsNullOrEmpty(item)) merged.Add(Decode(item));
        }
        return merged;
    }

    public static double Millis(long micros) => micros / 1000.0;
}
