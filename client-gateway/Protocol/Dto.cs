using ChatCluster.Conversations;

namespace ChatCluster.Gateway.Protocol;

/// <summary>Maps grain records to wire frames.</summary>
public static class Dto
{
    public static long Millis(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    public static string Name(ParticipantKind kind) => kind switch
    {
        ParticipantKind.Visitor => "visitor",
        ParticipantKind.Agent => "agent",
        _ => "system",
    };

    public static string Name(ConversationStatus status) => status switch
    {
        ConversationStatus.Open => "open",
        ConversationStatus.Assigned => "assigned",
        _ => "closed",
    };

    public static string Name(PresenceStatus status) => status switch
    {
        PresenceStatus.Online => "online",
        PresenceStatus.Away => "away",
        PresenceStatus.Unknown => "unknown",
        _ => "offline",
    };

    public static ParticipantDto From(Participant p) => new() { Kind = Name(p.Kind), Id = p.Id, Name = p.DisplayName };

    public static ConversationDto From(ConversationSummary s) => new()
    {
        ConversationId = s.ConversationId,
        VisitorId = s.VisitorId,
        VisitorName = s.VisitorName,
        Status = Name(s.Status),
        AssignedAgentId = s.AssignedAgentId,
        LastSeq = s.LastSeq,
        StartedAt = Millis(s.StartedAt),
        LastActivityAt = Millis(s.LastActivityAt),
        Transcript = s.Transcript is { } transcript ? Name(transcript) : null,
    };

    public static string Name(TranscriptStatus status) => status switch
    {
        TranscriptStatus.Pending => "pending",
        TranscriptStatus.AwaitingConfirmation => "awaiting_confirmation",
        TranscriptStatus.Sent => "sent",
        TranscriptStatus.Limited => "limited",
        _ => "failed",
    };

    public static MessageFrame From(string conversationId, ChatMessage m) => new()
    {
        ConversationId = conversationId,
        Seq = m.Seq,
        ClientMessageId = m.ClientMessageId,
        Sender = From(m.Sender),
        Text = m.Text,
        SentAt = Millis(m.SentAt),
    };

    public static HistoryFrame From(HistoryPage page, string? requestId) => new()
    {
        Id = requestId,
        Conversation = From(page.Conversation),
        Messages = [.. page.Messages.Select(m => From(page.Conversation.ConversationId, m))],
        ReadMarks = [.. page.ReadMarks.Select(r => new ReadMarkDto { Reader = From(r.Reader), Seq = r.Seq })],
        HasMore = page.HasMore,
    };
}
