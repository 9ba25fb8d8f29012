using ChatCluster.Conversations;
using ChatCluster.Integrations;
using ChatCluster.Privacy;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// Rating at close (A1): the visitor scores a closed conversation once. The rating lives in the conversation's
/// state, so retention and erasure delete its comment with everything else; the day statistics get the score only.
/// </summary>
public sealed partial class ConversationGrain
{
    public async Task<ConversationRating> Rate(Participant visitor, int score, string? comment)
    {
        if (!visitor.IsVisitor) throw ChatRuleException.Forbidden("Only the visitor rates a conversation.");
        EnsureParticipant(visitor);
        if (state.State.Status != ConversationStatus.Closed)
            throw ChatRuleException.Invalid("A conversation can be rated once it is closed.");
        if (score is < ConversationRating.MinScore or > ConversationRating.MaxScore)
            throw ChatRuleException.Invalid($"score is a whole number from {ConversationRating.MinScore} to {ConversationRating.MaxScore}.");
        comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        if (comment is { Length: > ConversationRating.MaxCommentLength })
            throw ChatRuleException.Invalid($"A rating comment is at most {ConversationRating.MaxCommentLength} characters.");
        if (state.State.Rating is not null)
            throw ChatRuleException.Conflict("This conversation was already rated.");

        var rating = new ConversationRating(score, comment, time.GetUtcNow());
        state.State.Rating = rating;
        await state.WriteStateAsync();
        if (FeedsStatistics)
        {
            _ = GrainFactory.GetGrain<IDailyStatsGrain>(DayKeys.For(tenantId, rating.RatedAt))
                .Record(new StatsEvent(StatsEventKind.Rated) { Score = score });
        }
        NotifyWebhooks(WebhookEventTypes.ConversationRated, e => e with { Score = score, Comment = comment });
        return rating;
    }
}
