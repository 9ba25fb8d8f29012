using System.Globalization;
using ChatCluster.Privacy;
using ChatCluster.Reports;

namespace ChatCluster.Gateway.Reports;

public enum ReportGranularity
{
    Day,
    Hour,
}

/// <summary>A tenant's report over a range of UTC days (A1), aggregated from day counters only.</summary>
public sealed record TenantReport(
    DateOnly From,
    DateOnly To,
    ReportGranularity Granularity,
    string TimeZone,
    ReportTotals Totals,
    IReadOnlyList<ReportPoint> Series,
    IReadOnlyList<HourOfDay> HourOfDay,
    IReadOnlyList<int> BusiestHours,
    IReadOnlyList<AgentLoad> Agents,
    IReadOnlyList<DistributionBucket> FirstResponseDistribution,
    IReadOnlyList<DistributionBucket> ResolutionDistribution,
    IReadOnlyList<CountryCount> Countries)
{
    /// <summary>Builds the report from the range's day counters (one per day, in order).</summary>
    public static TenantReport Build(DateOnly from, DateOnly to, ReportGranularity granularity, IReadOnlyList<DayReport> days,
        IReadOnlyDictionary<string, string> agentNames)
    {
        var firstResponse = Sum(days, d => d.FirstResponseHistogram, DurationBuckets.Count);
        var resolution = Sum(days, d => d.ResolutionHistogram, DurationBuckets.Count);
        var ratings = Sum(days, d => d.Ratings, 5);
        var byHour = Sum(days, d => d.ConversationsByHour, 24);
        var messagesByHour = Sum(days, d => d.MessagesByHour, 24);

        var totals = new ReportTotals(
            days.Sum(d => d.ConversationsStarted),
            days.Sum(d => d.VisitorMessages + d.AgentMessages),
            days.Sum(d => d.VisitorMessages),
            days.Sum(d => d.AgentMessages),
            days.Sum(d => d.Missed),
            days.Sum(d => d.Resolved),
            days.Sum(d => d.Expired),
            days.Sum(d => d.Erased),
            DurationStats.Of(firstResponse),
            DurationStats.Of(resolution),
            Satisfaction.Of(ratings));

        var series = granularity == ReportGranularity.Day
            ? days.Select(d => new ReportPoint(d.Day, d.ConversationsStarted, d.VisitorMessages + d.AgentMessages, d.Missed, d.Resolved,
                DurationBuckets.Percentile(d.FirstResponseHistogram, 0.5), DurationBuckets.Percentile(d.ResolutionHistogram, 0.5),
                Satisfaction.Of(d.Ratings).Average)).ToList()
            : days.SelectMany(d => Enumerable.Range(0, 24).Select(h => new ReportPoint(
                $"{d.Day}T{h.ToString("00", CultureInfo.InvariantCulture)}:00Z", At(d.ConversationsByHour, h), At(d.MessagesByHour, h),
                null, null, null, null, null))).ToList();

        var hourOfDay = Enumerable.Range(0, 24).Select(h => new HourOfDay(h, byHour[h], messagesByHour[h])).ToList();
        var busiest = hourOfDay.Where(h => h.Conversations + h.Messages > 0)
            .OrderByDescending(h => h.Conversations).ThenByDescending(h => h.Messages).ThenBy(h => h.Hour)
            .Take(3).Select(h => h.Hour).ToList();

        var agents = days.SelectMany(d => d.ConversationsByAgent)
            .GroupBy(p => p.Key, StringComparer.Ordinal)
            .Select(g => new AgentLoad(g.Key, agentNames.GetValueOrDefault(g.Key), g.Sum(p => p.Value)))
            .OrderByDescending(a => a.Conversations).ThenBy(a => a.AgentId, StringComparer.Ordinal).ToList();

        var countries = CountryCodes.Total(days.Select(d => d.ConversationsByCountry))
            .Select(p => new CountryCount(p.Key, p.Value))
            .OrderByDescending(c => c.Conversations).ThenBy(c => c.Country, StringComparer.Ordinal).ToList();

        return new TenantReport(from, to, granularity, "UTC", totals, series, hourOfDay, busiest, agents,
            Distribution(firstResponse), Distribution(resolution), countries);
    }

    private static long At(IReadOnlyList<long> values, int index) => index < values.Count ? values[index] : 0;

    private static long[] Sum(IEnumerable<DayReport> days, Func<DayReport, IReadOnlyList<long>> pick, int length)
    {
        var sum = new long[length];
        foreach (var day in days)
        {
            var values = pick(day);
            for (var i = 0; i < Math.Min(length, values.Count); i++) sum[i] += values[i];
        }
        return sum;
    }

    private static List<DistributionBucket> Distribution(long[] histogram) =>
        [.. histogram.Select((count, i) => new DistributionBucket(DurationBuckets.Label(i), DurationBuckets.LowerBound(i),
            double.IsPositiveInfinity(DurationBuckets.UpperBoundsSeconds[i]) ? null : DurationBuckets.UpperBoundsSeconds[i], count))];
}

public sealed record ReportTotals(
    long Conversations,
    long Messages,
    long VisitorMessages,
    long AgentMessages,
    long Missed,
    long Resolved,
    long Expired,
    long Erased,
    DurationStats FirstResponse,
    DurationStats Resolution,
    Satisfaction Satisfaction);

/// <summary>Median and p90 interpolated from duration buckets, in seconds; null when nothing was measured.</summary>
public sealed record DurationStats(long Count, double? MedianSeconds, double? P90Seconds)
{
    public static DurationStats Of(IReadOnlyList<long> histogram) =>
        new(histogram.Sum(), DurationBuckets.Percentile(histogram, 0.5), DurationBuckets.Percentile(histogram, 0.9));
}

/// <summary>Ratings 1–5: how many, their average, and how many of each (index 0 = 1 star).</summary>
public sealed record Satisfaction(long Ratings, double? Average, IReadOnlyList<long> Distribution)
{
    public static Satisfaction Of(IReadOnlyList<long> ratings)
    {
        var count = ratings.Sum();
        double? average = count == 0 ? null : Math.Round(ratings.Select((n, i) => n * (i + 1.0)).Sum() / count, 2);
        return new Satisfaction(count, average, [.. ratings]);
    }
}

/// <summary>One point of the volume series: a day (<c>2025-03-03</c>) or an hour (<c>2025-03-03T09:00Z</c>).</summary>
public sealed record ReportPoint(
    string Period,
    long Conversations,
    long Messages,
    long? Missed,
    long? Resolved,
    double? FirstResponseMedianSeconds,
    double? ResolutionMedianSeconds,
    double? SatisfactionAverage);

public sealed record HourOfDay(int Hour, long Conversations, long Messages);

public sealed record AgentLoad(string AgentId, string? DisplayName, long Conversations);

public sealed record DistributionBucket(string Label, double FromSeconds, double? ToSeconds, long Count);

/// <summary>Conversations started from one country (ISO 3166-1 alpha-2; <c>ZZ</c> when unknown) over the range.</summary>
public sealed record CountryCount(string Country, long Conversations);
