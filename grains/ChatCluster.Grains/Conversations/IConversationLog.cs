using ChatCluster.Conversations;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// The append-only record of a conversation's messages. Messages live here rather than in the grain's
/// state blob so that accepting a message costs one small insert however long the conversation is
/// (docs/architecture.md, "Where a message becomes durable").
/// </summary>
public interface IConversationLog
{
    /// <summary>Durably appends <paramref name="message"/>; its sequence number is unique within the conversation.</summary>
    Task Append(string conversationKey, ChatMessage message);

    /// <summary>Every message of the conversation, oldest first.</summary>
    Task<IReadOnlyList<ChatMessage>> ReadAll(string conversationKey);

    /// <summary>Deletes every message of the conversation.</summary>
    Task Delete(string conversationKey);
}
