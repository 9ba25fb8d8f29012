using ChatCluster.LoadTests.Stats;

namespace ChatCluster.LoadTests.Tests;

public sealed class HistogramMergeTests
{
    [Fact]
    public void Merging_encoded_histograms_keeps_every_count_and_the_combined_percentiles()
    {
        var fast = LatencyHistograms.Create();
        var slow = LatencyHistograms.Create();
        for (var i = 1; i <= 900; i++) fast.RecordValue(i);          // 1 µs … 900 µs
        for (var i = 1; i <= 100; i++) slow.RecordValue(10_000 * i); // 10 ms … 1 s

        var merged = LatencyHistograms.Merge([LatencyHistograms.Encode(fast), LatencyHistograms.Encode(slow)]);

        Assert.Equal(1000, merged.TotalCount);
        Assert.InRange(merged.GetValueAtPercentile(50), 499, 501);
        // p95 falls in the slow worker's values: the merge did not average percentiles away.
        Assert.InRange(merged.GetValueAtPercentile(95), 499_000, 501_000);
        Assert.InRange(merged.GetValueAtPercentile(100), 999_000, 1_001_000);
    }

    [Fact]
    public void A_histogram_spanning_microseconds_to_a_minute_survives_encoding_with_every_count()
    {
        // Many distinct buckets, as a run that overloads its target records: HdrHistogram's own compressed
        // encoding failed to decode this ("The buffer does not contain the indicated payload amount").
        var wide = LatencyHistograms.Create();
        var random = new Random(7);
        for (var i = 0; i < 200_000; i++) wide.RecordValue((long)Math.Exp(random.NextDouble() * Math.Log(LatencyHistograms.HighestTrackableMicros)));

        var decoded = LatencyHistograms.Decode(LatencyHistograms.Encode(wide));

        Assert.Equal(wide.TotalCount, decoded.TotalCount);
        foreach (var p in new[] { 1.0, 50, 90, 99, 99.9, 100 }) Assert.Equal(wide.GetValueAtPercentile(p), decoded.GetValueAtPercentile(p));
    }

    [Fact]
    public void Merging_workers_statistics_adds_counts_bytes_and_errors_and_keeps_extremes()
    {
        StatsData Worker(string name, long[] micros, string? error)
        {
            var collector = new StatsCollector(name, keepIntervalHistograms: true);
            foreach (var m in micros) collector.RecordOk(m, 10, 20);
            if (error is not null) collector.RecordFail(error, 10, 0);
            collector.CloseInterval(1, 1.0, 3);
            return collector.ToData();
        }

        var merged = StatsData.Merge("step", [Worker("a", [100, 200, 300], "timeout"), Worker("b", [50, 5_000], "timeout")]);

        Assert.Equal(5, merged.Ok);
        Assert.Equal(2, merged.Failed);
        Assert.Equal(2, merged.Errors["timeout"]);
        Assert.Equal(70, merged.BytesSent);
        Assert.Equal(100, merged.BytesReceived);
        Assert.Equal(50, merged.MinMicros);
        Assert.Equal(5_000, merged.MaxMicros);
        var interval = Assert.Single(merged.Intervals);
        Assert.Equal(5, interval.Ok);
        Assert.Equal(6, interval.ActiveCopies);
        Assert.InRange(interval.MaxMicros, 4_990, 5_010);
    }
}
