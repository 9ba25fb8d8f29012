using ChatCluster.Conversations;
using ChatCluster.Grains.Conversations;

namespace ChatCluster.Grains.Tests;

/// <summary>Rating at close (A1): once, by the conversation's own visitor, score counted, comment purged with the conversation.</summary>
[Collection(RetentionCollection.Name)]
public sealed class RatingTests(RetentionCluster cluster)
{
    [Fact]
    public async Task A_closed_conversation_is_rated_once_and_the_score_reaches_the_day_statistics()
    {
        var tenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenant);
        await chat.Conversation.Close(chat.Me);

        var rating = await chat.Conversation.Rate(chat.Me, 4, "  Quick and friendly  ");

        Assert.Equal(4, rating.Score);
        Assert.Equal("Quick and friendly", rating.Comment);
        var again = await Assert.ThrowsAsync<ChatRuleException>(() => chat.Conversation.Rate(chat.Me, 1, null));
        Assert.Equal(ErrorCodes.Conflict, again.Code);
        await RetentionCluster.Eventually(async () => (await cluster.Stats(tenant, rating.RatedAt)).Ratings == 1, "the rating is counted");
        Assert.Equal(4, (await cluster.Stats(tenant, rating.RatedAt)).RatingScoreTotal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(-3)]
    public async Task A_score_outside_one_to_five_is_refused(int score)
    {
        var chat = await cluster.NewChat(await cluster.NewTenant());
        await chat.Conversation.Close(chat.Me);
        var error = await Assert.ThrowsAsync<ChatRuleException>(() => chat.Conversation.Rate(chat.Me, score, null));
        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
    }

    [Fact]
    public async Task Only_the_own_visitor_rates_and_only_after_close_and_with_a_short_comment()
    {
        var chat = await cluster.NewChat(await cluster.NewTenant());
        var open = await Assert.ThrowsAsync<ChatRuleException>(() => chat.Conversation.Rate(chat.Me, 5, null));
        Assert.Equal(ErrorCodes.InvalidRequest, open.Code);
        await chat.Conversation.Close(chat.Me);

        var stranger = new Participant(ParticipantKind.Visitor, Ids.NewVisitorId(), null);
        Assert.Equal(ErrorCodes.NotFound, (await Assert.ThrowsAsync<ChatRuleException>(() => chat.Conversation.Rate(stranger, 5, null))).Code);
        var agent = new Participant(ParticipantKind.Agent, "a_someagent1", "Ann");
        Assert.Equal(ErrorCodes.Forbidden, (await Assert.ThrowsAsync<ChatRuleException>(() => chat.Conversation.Rate(agent, 5, null))).Code);
        var tooLong = new string('x', ConversationRating.MaxCommentLength + 1);
        Assert.Equal(ErrorCodes.InvalidRequest, (await Assert.ThrowsAsync<ChatRuleException>(() => chat.Conversation.Rate(chat.Me, 5, tooLong))).Code);
    }

    [Fact]
    public async Task The_rating_comment_is_erased_with_the_conversation()
    {
        var tenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenant);
        await chat.Conversation.Close(chat.Me);
        await chat.Conversation.Rate(chat.Me, 2, "Agent Bob was rude, call me on 07700 900123");

        await chat.Conversation.Erase("agent:a_admin");

        var (exists, state) = await cluster.StoredState<ConversationState>(chat.Conversation, "conversation");
        Assert.False(exists && state.Rating is not null);
    }
}
