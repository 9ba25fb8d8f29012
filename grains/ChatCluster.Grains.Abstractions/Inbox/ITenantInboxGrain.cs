using Orleans.Concurrency;
using ChatCluster.Conversations;

namespace ChatCluster.Inbox;

/// <summary>
/// The live list of a tenant's open and assigned conversations, for agents (T3). Keyed by tenant id.
/// Conversations report their changes here; changes go out on the tenant's inbox stream.
/// </summary>
public interface ITenantInboxGrain : IGrainWithStringKey
{
    /// <summary>A conversation reports its latest summary; fire-and-forget from the conversation's side.</summary>
    [OneWay]
    Task Update(ConversationSummary summary);

    /// <summary>Open and assigned conversations, most recently active first.</summary>
    Task<IReadOnlyList<ConversationSummary>> List();

    /// <summary>
    /// At most <paramref name="limit"/> live conversations, most recently active first, starting after the cursor
    /// (<paramref name="before"/>: the last one of the previous page), and how many are live in all. Interleaves, so an
    /// agent's welcome and inbox never wait behind a flood of visitors' reports (issue 15).
    /// </summary>
    [AlwaysInterleave]
    Task<InboxPage> Page(int limit, InboxCursor? before = null);

    /// <summary>Deletes the projection; only account closure (R3) calls it, after every conversation is erased.</summary>
    Task Purge();
}

/// <summary>A page of the inbox; <paramref name="Total"/> counts every live conversation, on this page or not.</summary>
/// <param name="HasMore">More conversations follow this page: ask again with the last one as the cursor.</param>
[GenerateSerializer, Immutable]
public sealed record InboxPage(IReadOnlyList<ConversationSummary> Conversations, int Total, bool HasMore);

/// <summary>Where a page ends: the last activity and id of its last conversation.</summary>
[GenerateSerializer, Immutable]
public sealed record InboxCursor(DateTimeOffset LastActivityAt, string ConversationId);

public static class InboxLimits
{
    /// <summary>The most conversations one page (a welcome, a <c>GET /api/inbox</c>) carries.</summary>
    public const int MaxPage = 200;

    /// <summary>What a welcome and an inbox request without <c>limit</c> carry.</summary>
    public const int DefaultPage = 100;
}
