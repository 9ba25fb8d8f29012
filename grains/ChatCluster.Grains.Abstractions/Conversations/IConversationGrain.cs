using ChatCluster.Privacy;

namespace ChatCluster.Conversations;

/// <summary>
/// One chat between a visitor and the tenant's agents (C1). Keyed by <c>{tenantId}/{conversationId}</c>.
/// Assigns each accepted message the next per-conversation sequence number and pushes every change to the
/// gateways that follow it (<see cref="IConversationObserver"/>).
/// </summary>
public interface IConversationGrain : IGrainWithStringKey, IRetainedData, IConversationContactRights, IHeldWithVisitor
{
    /// <summary>
    /// The tenant's account was just closed (R3): from now on every send is refused with <c>tenant_closed</c>, so
    /// nothing is acknowledged after the closure. The tenant tells its live conversations; others ask it themselves.
    /// </summary>
    Task TenantClosed();

    /// <summary>
    /// The response timeout of the chat path (send, history, typing, read), shorter than the cluster's
    /// <c>ChatCluster:Silo:ResponseTimeout</c>: these calls answer in milliseconds, and one stuck on a silo that just
    /// died is answered <c>unavailable</c> and resent by the client rather than waited for (C7).
    /// </summary>
    const string ChatPathTimeout = "00:00:02";

    /// <summary>Opens the conversation for <paramref name="visitor"/>; idempotent for the same visitor.</summary>
    Task<ConversationSummary> Start(Participant visitor, ConversationContact contact);

    /// <summary>The conversation's summary, or null if it was never started.</summary>
    Task<ConversationSummary?> GetSummary();

    /// <summary>
    /// Accepts a message and returns its sequence number once it is durable. Sending the same
    /// <paramref name="clientMessageId"/> again returns the original result and adds nothing.
    /// </summary>
    [ResponseTimeout(ChatPathTimeout)]
    Task<SendResult> Send(Participant sender, string clientMessageId, string text);

    /// <summary>
    /// Registers (or refreshes) a gateway that has sockets following this conversation; it gets every later event
    /// until it unfollows or stops refreshing within <see cref="ConversationFollowing.Expiry"/>. Returns false when
    /// the registration was new: a gateway refreshing an existing registration that the conversation had lost (it was
    /// reactivated) then reads what it may have missed from the log.
    /// </summary>
    Task<bool> Follow(IConversationObserver gateway);

    /// <summary>The gateway's last socket stopped following this conversation.</summary>
    Task Unfollow(IConversationObserver gateway);

    /// <summary>Messages with a sequence number above <paramref name="afterSeq"/>, oldest first.</summary>
    [ResponseTimeout(ChatPathTimeout)]
    Task<HistoryPage> GetHistory(Participant reader, long afterSeq, int maxMessages);

    [ResponseTimeout(ChatPathTimeout)]
    Task SetTyping(Participant who, bool isTyping);

    /// <summary>Marks every message up to <paramref name="seq"/> as read by <paramref name="reader"/>.</summary>
    [ResponseTimeout(ChatPathTimeout)]
    Task MarkRead(Participant reader, long seq);

    /// <summary>An agent claims the conversation (T3); it becomes assigned to them.</summary>
    Task<ConversationSummary> Assign(Participant agent);

    Task<ConversationSummary> Close(Participant by);

    /// <summary>An agent hands the conversation to another agent of the tenant (T3); capacity does not apply.</summary>
    Task<ConversationSummary> Transfer(Participant by, string toAgentId);

    /// <summary>
    /// The conversation's own visitor rates it once it is closed: a score of 1–5 and an optional comment.
    /// A second rating is refused with <c>conflict</c>, so the statistics count each conversation once.
    /// </summary>
    Task<ConversationRating> Rate(Participant visitor, int score, string? comment);

    /// <summary>
    /// The conversation's own visitor confirms the transcript address with the code mailed to it (W5, issue 15), when
    /// the tenant requires it: the transcript is then sent at the close, or at once if the conversation is already
    /// closed. A wrong code is <c>invalid_code</c>; after <see cref="TranscriptConfirmation.MaxAttempts"/> wrong codes no
    /// transcript is sent (<see cref="TranscriptStatus.Limited"/>).
    /// </summary>
    Task<ConversationSummary> ConfirmTranscript(Participant visitor, string code);
}

/// <summary>What becomes of the transcript of a conversation whose visitor gave an email (W5, issue 15).</summary>
[GenerateSerializer]
public enum TranscriptStatus
{
    /// <summary>It will be mailed when the conversation closes (or is being retried after a transient failure).</summary>
    Pending = 0,

    /// <summary>The tenant requires the address to be confirmed: a code was mailed to it, no transcript until it is entered.</summary>
    AwaitingConfirmation = 1,

    /// <summary>It was handed to the mail server.</summary>
    Sent = 2,

    /// <summary>None will be sent: a daily limit on transcript mail was reached, or the confirmation failed too often.</summary>
    Limited = 3,

    /// <summary>The mail server refused it, or retrying gave up.</summary>
    Failed = 4,
}

public static class TranscriptConfirmation
{
    /// <summary>Wrong codes a conversation accepts before it gives up on its transcript.</summary>
    public const int MaxAttempts = 5;
}

[GenerateSerializer]
public enum ConversationStatus
{
    Open = 0,
    Assigned = 1,
    Closed = 2,
}

/// <summary>What the visitor chose to tell at chat start (W3); both fields optional.</summary>
[GenerateSerializer, Immutable]
public sealed record ConversationContact(string? Name, string? Email);

[GenerateSerializer, Immutable]
public sealed record ChatMessage(long Seq, string ClientMessageId, Participant Sender, string Text, DateTimeOffset SentAt);

[GenerateSerializer, Immutable]
public sealed record SendResult(long Seq, DateTimeOffset SentAt, bool Duplicate);

[GenerateSerializer, Immutable]
public sealed record ConversationSummary(
    string ConversationId,
    string VisitorId,
    string? VisitorName,
    ConversationStatus Status,
    string? AssignedAgentId,
    long LastSeq,
    DateTimeOffset StartedAt,
    DateTimeOffset LastActivityAt,
    TranscriptStatus? Transcript = null);

[GenerateSerializer, Immutable]
public sealed record ReadMark(Participant Reader, long Seq);

[GenerateSerializer, Immutable]
public sealed record HistoryPage(
    ConversationSummary Conversation,
    IReadOnlyList<ChatMessage> Messages,
    IReadOnlyList<ReadMark> ReadMarks,
    bool HasMore);
