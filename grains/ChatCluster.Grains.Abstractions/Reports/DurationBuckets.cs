namespace ChatCluster.Reports;

/// <summary>
/// Fixed duration buckets for first-response and resolution times. A day keeps one count per bucket instead of
/// every duration, so medians and p90s can be computed for any range long after the conversations were purged,
/// at the price of bucket resolution (a percentile is interpolated inside its bucket).
/// </summary>
public static class DurationBuckets
{
    /// <summary>Upper bounds in seconds; the last bucket (beyond 3 days) is open-ended.</summary>
    public static readonly IReadOnlyList<double> UpperBoundsSeconds =
        [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200, double.PositiveInfinity];

    public static int Count => UpperBoundsSeconds.Count;

    public static int IndexOf(double seconds)
    {
        for (var i = 0; i < UpperBoundsSeconds.Count; i++)
        {
            if (seconds < UpperBoundsSeconds[i]) return i;
        }
        return UpperBoundsSeconds.Count - 1;
    }

    public static double LowerBound(int index) => index == 0 ? 0 : UpperBoundsSeconds[index - 1];

    /// <summary>
    /// The <paramref name="quantile"/> (0–1) of the durations counted in <paramref name="histogram"/>, interpolated
    /// linearly inside its bucket; the open last bucket answers its lower bound. Null when nothing was counted.
    /// </summary>
    public static double? Percentile(IReadOnlyList<long> histogram, double quantile)
    {
        var total = histogram.Sum();
        if (total == 0) return null;
        var rank = Math.Max(1, Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < histogram.Count; i++)
        {
            if (histogram[i] == 0) continue;
            if (seen + histogram[i] >= rank)
            {
                var lower = LowerBound(i);
                var upper = UpperBoundsSeconds[Math.Min(i, UpperBoundsSeconds.Count - 1)];
                if (double.IsPositiveInfinity(upper)) return lower;
                var within = (rank - seen) / histogram[i];
                return Math.Round(lower + (upper - lower) * within, 1);
            }
            seen += histogram[i];
        }
        return LowerBound(histogram.Count - 1);
    }

    /// <summary>A short label for a bucket, e.g. <c>1–2 min</c>.</summary>
    public static string Label(int index)
    {
        var upper = UpperBoundsSeconds[index];
        return double.IsPositiveInfinity(upper) ? $"> {Short(LowerBound(index))}" : $"{(index == 0 ? "0" : Short(LowerBound(index)))}–{Short(upper)}";
    }

    private static string Short(double seconds) => seconds switch
    {
        < 60 => $"{seconds:0} s",
        < 3600 => $"{seconds / 60:0} min",
        < 86400 => $"{seconds / 3600:0} h",
        _ => $"{seconds / 86400:0} d",
    };
}
