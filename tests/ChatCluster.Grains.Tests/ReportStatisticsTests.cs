using System.Text.Json;
using ChatCluster.Privacy;
using ChatCluster.Reports;

namespace ChatCluster.Grains.Tests;

/// <summary>A1, R2: report counters are kept as things happen, so they outlive the conversations retention purges.</summary>
[Collection(RetentionCollection.Name)]
public sealed class ReportStatisticsTests(RetentionCluster cluster)
{
    [Fact]
    public async Task Report_numbers_stay_the_same_after_retention_purged_every_conversation_they_count()
    {
        var tenant = await cluster.NewTenant();
        MoveClockToNextDayAt(10);
        var day = cluster.Time.GetUtcNow();
        var agent = new Participant(ParticipantKind.Agent, Ids.NewAgentId(), "Al");

        var answered = await cluster.NewChat(tenant);
        cluster.Time.Advance(TimeSpan.FromSeconds(45));
        await answered.Conversation.Send(agent, "a-1", "Hello, let me look at that order.");
        cluster.Time.Advance(TimeSpan.FromMinutes(10));
        await answered.Conversation.Close(agent);
        var unanswered = await cluster.NewChat(tenant);
        await unanswered.Conversation.Close(unanswered.Me);
        var abandoned = await cluster.NewChat(tenant); // never answered, never closed: missed when it expires
        var report = Report(tenant, day);
        foreach (var stars in (int[])[5, 4, 0, 6]) await report.RatingGiven(stars);

        await RetentionCluster.Eventually(async () => (await report.GetReport()).Ratings.Sum() == 2, "the ratings were counted");
        var before = await report.GetReport();
        Assert.Equal(3, before.ConversationsStarted);
        Assert.Equal(4, before.VisitorMessages + before.AgentMessages);
        Assert.Equal(3, before.ConversationsByHour[10]);
        Assert.Equal(4, before.MessagesByHour[10]);
        Assert.Equal(1, before.Missed);
        Assert.Equal(2, before.Resolved);
        Assert.Equal(1, before.FirstResponseHistogram[DurationBuckets.IndexOf(45)]);
        Assert.Equal(1, before.ResolutionHistogram[DurationBuckets.IndexOf(645)]);
        Assert.Equal([0L, 0, 0, 1, 1], before.Ratings);
        Assert.Equal(1, before.ConversationsByAgent[agent.Id]);

        cluster.Time.Advance(TimeSpan.FromDays(366));
        foreach (var chat in (Chat[])[answered, unanswered, abandoned])
        {
            await RetentionCluster.Eventually(async () => !(await chat.Conversation.GetRetention()).HoldsPersonalData, "the conversation expired");
            Assert.Empty(await cluster.StoredMessages(tenant, chat.ConversationId));
        }

        var after = await report.GetReport();
        Assert.Equal(JsonSerializer.Serialize(before), JsonSerializer.Serialize(after));
        var expiryDay = Report(tenant, cluster.Time.GetUtcNow());
        await RetentionCluster.Eventually(async () => (await expiryDay.GetReport()) is { Expired: 3, Missed: 1 },
            "the expiries and the one never-answered conversation were counted on the day of expiry");
        Assert.Equal(3, (await cluster.Stats(tenant, day)).ConversationsStarted);
    }

    [Fact]
    public async Task A_rating_is_counted_by_stars_and_values_outside_one_to_five_are_ignored()
    {
        var tenant = await cluster.NewTenant();
        var report = Report(tenant, cluster.Time.GetUtcNow());
        foreach (var stars in (int[])[1, 1, 3, 5, -1, 0, 6, int.MaxValue]) await report.RatingGiven(stars);
        await RetentionCluster.Eventually(async () => (await report.GetReport()).Ratings.Sum() == 4, "the ratings were counted");
        Assert.Equal([2L, 0, 1, 0, 1], (await report.GetReport()).Ratings);
    }

    [Fact]
    public async Task Conversations_are_counted_by_country_and_anything_but_a_two_letter_code_counts_as_unknown()
    {
        var tenant = await cluster.NewTenant();
        var day = cluster.Time.GetUtcNow();
        var stats = cluster.Grains.GetGrain<IDailyStatsGrain>(DayKeys.For(tenant, day));
        foreach (var country in (string?[])["de", "DE", null, "xyz", "1A", "AT"])
            await stats.Record(new StatsEvent(StatsEventKind.ConversationStarted, At: day) { Country = country });

        await RetentionCluster.Eventually(async () => (await stats.Get()).ConversationsStarted == 6, "the conversations were counted");
        Assert.Equal(new Dictionary<string, long> { ["DE"] = 2, ["ZZ"] = 3, ["AT"] = 1 }, (await stats.Get()).ConversationsByCountry);
        Assert.Equal(3, (await Report(tenant, day).GetReport()).ConversationsByCountry["ZZ"]);
    }

    private IDayReportGrain Report(string tenant, DateTimeOffset day) => cluster.Grains.GetGrain<IDayReportGrain>(DayKeys.For(tenant, day));

    /// <summary>The shared clock only moves forward; start on a fresh day so every event of the test falls in one hour.</summary>
    private void MoveClockToNextDayAt(int hour)
    {
        var now = cluster.Time.GetUtcNow();
        cluster.Time.Advance(new DateTimeOffset(now.Date, TimeSpan.Zero).AddDays(1).AddHours(hour) - now);
    }
}

/// <summary>Percentiles from fixed duration buckets: close enough for reports, stable forever.</summary>
public sealed class DurationBucketsTests
{
    [Fact]
    public void Median_and_p90_are_interpolated_inside_their_bucket()
    {
        var histogram = new long[DurationBuckets.Count];
        for (var i = 0; i < 9; i++) histogram[DurationBuckets.IndexOf(20)]++; // nine answers within 10–30 s
        histogram[DurationBuckets.IndexOf(400)]++; // one within 5–10 min
        var median = DurationBuckets.Percentile(histogram, 0.5)!.Value;
        Assert.InRange(median, 10, 30);
        Assert.InRange(DurationBuckets.Percentile(histogram, 0.9)!.Value, 10, 30);
        Assert.InRange(DurationBuckets.Percentile(histogram, 1.0)!.Value, 300, 600);
        Assert.Null(DurationBuckets.Percentile(new long[DurationBuckets.Count], 0.5));
    }

    [Fact]
    public void Durations_beyond_the_last_bound_land_in_the_open_bucket()
    {
        Assert.Equal(DurationBuckets.Count - 1, DurationBuckets.IndexOf(TimeSpan.FromDays(30).TotalSeconds));
        Assert.Equal(0, DurationBuckets.IndexOf(0));
        Assert.Equal("0–10 s", DurationBuckets.Label(0));
        Assert.Equal("> 3 d", DurationBuckets.Label(DurationBuckets.Count - 1));
    }
}
