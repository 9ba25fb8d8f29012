namespace ChatCluster.Conversations;

/// <summary>
/// What happened in a conversation, as carried by its stream to every gateway (C5).
/// One record with a <see cref="Kind"/> keeps the stream contract flat and cheap to route.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ConversationEvent(
    ConversationEventKind Kind,
    string ConversationId,
    DateTimeOffset At,
    ChatMessage? Message = null,
    Participant? Actor = null,
    bool IsTyping = false,
    long ReadSeq = 0,
    ConversationSummary? Summary = null)
{
    public static ConversationEvent Posted(string conversationId, ChatMessage message) =>
        new(ConversationEventKind.MessagePosted, conversationId, message.SentAt, Message: message, Actor: message.Sender);

    public static ConversationEvent Typing(string conversationId, Participant who, bool isTyping, DateTimeOffset at) =>
        new(ConversationEventKind.Typing, conversationId, at, Actor: who, IsTyping: isTyping);

    public static ConversationEvent Read(string conversationId, Participant reader, long seq, DateTimeOffset at) =>
        new(ConversationEventKind.Read, conversationId, at, Actor: reader, ReadSeq: seq);

    public static ConversationEvent StatusChanged(ConversationSummary summary, Participant? by, DateTimeOffset at) =>
        new(ConversationEventKind.StatusChanged, summary.ConversationId, at, Actor: by, Summary: summary);
}

[GenerateSerializer]
public enum ConversationEventKind
{
    MessagePosted = 0,
    Typing = 1,
    Read = 2,
    StatusChanged = 3,
}
