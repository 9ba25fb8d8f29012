using ChatCluster.Conversations;
using ChatCluster.Grains.Conversations;
using ChatCluster.Privacy;
using Microsoft.Extensions.Time.Testing;

namespace ChatCluster.Grains.Tests;

/// <summary>The conversation's registry of gateways (issue 13): one push per live gateway; a gateway that stops refreshing ages out.</summary>
public sealed class ConversationFollowersTests
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);

    private sealed class CountingGateway : IConversationObserver
    {
        public int Batches { get; private set; }

        public Task OnEvents(string conversationKey, ConversationEvent[] events)
        {
            Batches++;
            return Task.CompletedTask;
        }
    }

    private static ConversationEvent[] Typing() =>
        [ConversationEvent.Typing("c_1", new Participant(ParticipantKind.Visitor, "v_1", null), true, DateTimeOffset.UtcNow)];

    [Fact]
    public void A_gateway_that_stops_refreshing_ages_out_while_one_that_refreshes_stays()
    {
        var followers = new ConversationFollowers(time);
        var dead = new CountingGateway();
        var alive = new CountingGateway();
        followers.Follow(dead);
        followers.Follow(alive);

        followers.Push("t/c_1", Typing());
        time.Advance(ConversationFollowing.Expiry / 2);
        Assert.True(followers.Follow(alive)); // the refresh of a known registration
        time.Advance(ConversationFollowing.Expiry / 2 + TimeSpan.FromSeconds(1));
        followers.Push("t/c_1", Typing());

        Assert.Equal((1, 2), (dead.Batches, alive.Batches));
        Assert.Equal(1, followers.Count);
    }

    [Fact]
    public void Message_counts_of_a_burst_leave_as_one_statistics_event_per_kind_and_hour()
    {
        var counts = new MessageCounts();
        var at = new DateTimeOffset(2026, 12, 7, 10, 59, 0, TimeSpan.Zero);
        for (var i = 0; i < 10; i++) counts.Add(StatsEventKind.VisitorMessage, at);
        counts.Add(StatsEventKind.VisitorMessage, at.AddMinutes(2)); // the next hour
        counts.Add(StatsEventKind.AgentMessage, at);

        var events = counts.Take();
        Assert.True(counts.IsEmpty);
        Assert.Equal(3, events.Count);
        Assert.Equal(10, events.Single(e => e.Kind == StatsEventKind.VisitorMessage && e.At.Hour == 10).Count);
        Assert.Equal(1, events.Single(e => e.Kind == StatsEventKind.VisitorMessage && e.At.Hour == 11).Count);
    }
}
