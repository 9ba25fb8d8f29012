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

    /// <summary>Deletes the projection; only account closure (R3) calls it, after every conversation is erased.</summary>
    Task Purge();
}
