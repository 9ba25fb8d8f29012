using ChatCluster.Conversations;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// The append-only record of a conversation's messages. Messages live here rather than in the grain's
/// state blob so that accepting a message costs one small insert however long the conversation is
/// (docs/architecture.md, "Where a message becomes durable").
/// </summary>
public interface IConversationLog
{
    /// <summary>
    /// Durably appends <paramref name="message"/>; its sequence number is unique within the conversation. Fails with
    /// the retryable <c>unavailable</c> <see cref="ChatRuleException"/> when nothing was stored, and with
    /// <see cref="ConversationLogUncertainException"/> when the row may or may not have been stored.
    /// </summary>
    Task Append(string conversationKey, ChatMessage message);

    /// <summary>Every message of the conversation, oldest first.</summary>
    Task<IReadOnlyList<ChatMessage>> ReadAll(string conversationKey);

    /// <summary>Deletes every message of the conversation.</summary>
    Task Delete(string conversationKey);
}

/// <summary>
/// An append failed in a way that leaves it unknown whether the row was stored (the database went away during the
/// commit, or another row holds its place): the grain's view of its log may be stale, so it reloads it before the
/// next append. Never crosses a grain boundary; the grain passes on <see cref="Unavailable"/>.
/// </summary>
public sealed class ConversationLogUncertainException(ChatRuleException unavailable) : Exception(unavailable.Message)
{
    public ChatRuleException Unavailable { get; } = unavailable;
}
