using ChatCluster.Privacy;
using ChatCluster.Reports;

namespace ChatCluster.Grains.Tests;

/// <summary>
/// R5 restriction and objection: from the moment a visitor restricts processing or objects, none of their
/// conversations feeds the day statistics or reports (what was counted before stays); lifting it counts again.
/// </summary>
[Collection(RetentionCollection.Name)]
public sealed class RestrictionTests(RetentionCluster cluster)
{
    private static readonly Participant Agent = new(ParticipantKind.Agent, "a_restrict", "Al");

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task A_restricted_or_objecting_visitors_conversations_are_left_out_of_statistics_and_reports(bool restricted, bool objected)
    {
        var tenant = await cluster.NewTenant();
        var day = cluster.Time.GetUtcNow();
        var before = await cluster.NewChat(tenant); // counted: started, one visitor message
        await Settled(tenant, day, started: 1, visitorMessages: 1);

        await before.Visitor.SetRestrictions(new ProcessingRestrictions(restricted, objected));
        await before.Conversation.Send(before.Me, "m-2", "one more thing");
        await before.Conversation.Send(Agent, "a-1", "Sure, tell me.");
        await before.Conversation.Close(Agent);
        await before.Conversation.Rate(before.Me, 5, null);
        var later = await cluster.NewChat(tenant, before.VisitorId); // started after the flag: never counted
        await later.Conversation.Close(later.Me);

        // Someone else's chat is counted; once it shows, the restricted events would have shown too.
        var other = await cluster.NewChat(tenant);
        await other.Conversation.Send(Agent, "a-1", "Hello!");
        await other.Conversation.Close(Agent);
        await Settled(tenant, day, started: 2, visitorMessages: 2, agentMessages: 1, resolved: 1);

        var stats = await cluster.Stats(tenant, day);
        Assert.Equal(1, stats.FirstResponses);
        Assert.Equal(0, stats.Ratings);
        var report = await cluster.Grains.GetGrain<IDayReportGrain>(DayKeys.For(tenant, day)).GetReport();
        Assert.Equal(2, report.ConversationsStarted);
        Assert.Equal(1, report.ConversationsByAgent[Agent.Id]);
        Assert.Equal(0, report.Missed); // the restricted, unanswered 'later' conversation is not a missed chat
        Assert.Equal(0, report.Ratings.Sum());
    }

    [Fact]
    public async Task Lifting_the_restriction_counts_the_visitors_conversations_again()
    {
        var tenant = await cluster.NewTenant();
        var day = cluster.Time.GetUtcNow();
        var chat = await cluster.NewChat(tenant);
        await chat.Visitor.SetRestrictions(new ProcessingRestrictions(true, false));
        await chat.Conversation.Send(chat.Me, "m-2", "not counted");

        await chat.Visitor.SetRestrictions(new ProcessingRestrictions(false, false));
        await chat.Conversation.Send(chat.Me, "m-3", "counted");
        await chat.Conversation.Close(chat.Me);

        await Settled(tenant, day, started: 1, visitorMessages: 2, resolved: 1);
    }

    [Fact]
    public async Task A_conversation_started_by_a_visitor_already_restricted_is_never_counted()
    {
        var tenant = await cluster.NewTenant();
        var day = cluster.Time.GetUtcNow();
        var first = await cluster.NewChat(tenant);
        await first.Visitor.SetRestrictions(new ProcessingRestrictions(false, true));
        var second = await cluster.NewChat(tenant, first.VisitorId);
        await second.Conversation.Send(Agent, "a-1", "Hi");

        await cluster.NewChat(tenant); // someone else's chat: counted
        await Settled(tenant, day, started: 2, visitorMessages: 2);
        Assert.Equal(0, (await cluster.Stats(tenant, day)).AgentMessages);
        Assert.True((await second.Conversation.GetSummary())!.LastSeq == 2); // the chat itself works as usual
    }

    private async Task Settled(string tenant, DateTimeOffset day, long started, long visitorMessages, long agentMessages = 0, long resolved = 0)
    {
        await RetentionCluster.Eventually(async () =>
        {
            var s = await cluster.Stats(tenant, day);
            return s.ConversationsStarted >= started && s.VisitorMessages >= visitorMessages && s.AgentMessages >= agentMessages && s.Resolved >= resolved;
        }, "the expected events to be counted");
        await Task.Delay(200); // one-way counters: give a stray (wrong) event the chance to arrive before comparing exactly
        var stats = await cluster.Stats(tenant, day);
        Assert.Equal((started, visitorMessages, agentMessages, resolved),
            (stats.ConversationsStarted, stats.VisitorMessages, stats.AgentMessages, stats.Resolved));
    }
}
