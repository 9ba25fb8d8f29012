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

    public static string Encode(HistogramBase histogram)
    {
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        var length = HistogramEncoding.EncodeIntoCompressedByteBuffer(histogram, buffer);
        // ByteBuffer keeps its array to itself: read the encoded bytes back out.
        var bytes = new byte[length];
        buffer.Position = 0;
        for (var i = 0; i < length; i++) bytes[i] = buffer.Get();
        return Convert.ToBase64String(bytes);
    }

    public static HistogramBase Decode(string encoded)
    {
        var buffer = ByteBuffer.Allocate(Convert.FromBase64String(encoded));
        return HistogramEncoding.DecodeFromCompressedByteBuffer(buffer, 0);
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
