namespace ChatCluster.Conversations;

/// <summary>
/// The visitor's rating of a closed conversation (A1 satisfaction). The comment is personal data and dies with
/// the conversation; only the score is counted in the tenant's anonymised day statistics.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ConversationRating(int Score, string? Comment, DateTimeOffset RatedAt)
{
    public const int MinScore = 1;
    public const int MaxScore = 5;
    public const int MaxCommentLength = 1000;
}
