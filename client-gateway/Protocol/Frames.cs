using System.Text.Json.Serialization;
using MessagePack;

namespace ChatCluster.Gateway.Protocol;

// The wire protocol v1 (docs/protocol.md). One frame model, two encodings: JSON text frames and
// MessagePack binary frames. Every frame is a map with a "type" key; field names are the same in
// both encodings. Client frames may carry an "id" that the direct reply (or error) echoes.
// Timestamps are Unix epoch milliseconds (UTC) so every language reads them the same way.

/// <summary>A frame a client sends.</summary>
public abstract class ClientFrame
{
    [Key("type")] public abstract string Type { get; }

    /// <summary>Optional request id, echoed by the reply or error this frame causes.</summary>
    [Key("id")] public string? Id { get; set; }
}

[MessagePackObject]
public sealed class HelloFrame : ClientFrame
{
    public const string Name = "hello";
    [Key("type")] public override string Type => Name;
    [Key("role")] public string? Role { get; set; }
    [Key("siteKey")] public string? SiteKey { get; set; }
    [Key("visitorToken")] public string? VisitorToken { get; set; }
    [Key("token")] public string? Token { get; set; }
    [Key("pageUrl")] public string? PageUrl { get; set; }

    /// <summary>A logged-in user the site vouches for (I3): docs/integrations.md.</summary>
    [Key("identity")] public IdentityDto? Identity { get; set; }
}

/// <summary>The site's signed identity of its user: <c>signature</c> is hex HMAC-SHA256 of <c>userId</c> with the tenant's identity secret.</summary>
[MessagePackObject]
public sealed class IdentityDto
{
    [Key("userId")] public string? UserId { get; set; }
    [Key("name")] public string? Name { get; set; }
    [Key("email")] public string? Email { get; set; }
    [Key("signature")] public string? Signature { get; set; }
}

[MessagePackObject]
public sealed class StartFrame : ClientFrame
{
    public const string Name = "start";
    [Key("type")] public override string Type => Name;
    [Key("name")] public string? VisitorName { get; set; }
    [Key("email")] public string? Email { get; set; }
}

[MessagePackObject]
public sealed class SendFrame : ClientFrame
{
    public const string Name = "send";
    [Key("type")] public override string Type => Name;
    [Key("conversationId")] public string? ConversationId { get; set; }
    [Key("clientMessageId")] public string? ClientMessageId { get; set; }
    [Key("text")] public string? Text { get; set; }
}

[MessagePackObject]
public sealed class TypingFrame : ClientFrame
{
    public const string Name = "typing";
    [Key("type")] public override string Type => Name;
    [Key("conversationId")] public string? ConversationId { get; set; }
    [Key("isTyping")] public bool IsTyping { get; set; }
}

[MessagePackObject]
public sealed class ReadFrame : ClientFrame
{
    public const string Name = "read";
    [Key("type")] public override string Type => Name;
    [Key("conversationId")] public string? ConversationId { get; set; }
    [Key("seq")] public long? Seq { get; set; }
}

[MessagePackObject]
public sealed class ResumeFrame : ClientFrame
{
    public const string Name = "resume";
    [Key("type")] public override string Type => Name;
    [Key("conversationId")] public string? ConversationId { get; set; }
    [Key("afterSeq")] public long AfterSeq { get; set; }
}

[MessagePackObject]
public sealed class JoinFrame : ClientFrame
{
    public const string Name = "join";
    [Key("type")] public override string Type => Name;
    [Key("conversationId")] public string? ConversationId { get; set; }
    [Key("afterSeq")] public long AfterSeq { get; set; }
}

[MessagePackObject]
public sealed class CloseFrame : ClientFrame
{
    public const string Name = "close";
    [Key("type")] public override string Type => Name;
    [Key("conversationId")] public string? ConversationId { get; set; }
}

[MessagePackObject]
public sealed class SetPresenceFrame : ClientFrame
{
    public const string Name = "presence";
    [Key("type")] public override string Type => Name;
    [Key("status")] public string? Status { get; set; }
}

[MessagePackObject]
public sealed class PingFrame : ClientFrame
{
    public const string Name = "ping";
    [Key("type")] public override string Type => Name;
    [Key("t")] public long? T { get; set; }
}

/// <summary>A frame the gateway sends.</summary>
public abstract class ServerFrame
{
    [Key("type")] public abstract string Type { get; }

    // A fan-out frame (one message to every follower of a conversation, one inbox frame to every agent socket of a
    // tenant) keeps its encodings: the first socket that writes it encodes it, the others send the same bytes, as
    // SignalR's serialized hub messages do. Not serialized (non-public).
    private bool shared;
    private byte[]? json;
    private byte[]? messagePack;

    /// <summary>Marks the frame as sent alike to many sockets; it must not change from here on.</summary>
    public ServerFrame Share()
    {
        shared = true;
        return this;
    }

    internal bool IsShared => shared;

    internal ref byte[]? EncodingSlot(bool binary) => ref binary ? ref messagePack : ref json;
}

[MessagePackObject]
public sealed class WelcomeFrame : ServerFrame
{
    [Key("type")] public override string Type => "welcome";
    [Key("id")] public string? Id { get; set; }
    [Key("protocol")] public int Protocol { get; set; } = 1;
    [Key("role")] public string Role { get; set; } = "";
    [Key("tenantId")] public string? TenantId { get; set; }
    [Key("visitorId")] public string? VisitorId { get; set; }
    [Key("visitorToken")] public string? VisitorToken { get; set; }
    [Key("agentId")] public string? AgentId { get; set; }
    [Key("displayName")] public string? DisplayName { get; set; }
    [Key("agentRole")] public string? AgentRole { get; set; }
    [Key("heartbeatSeconds")] public int HeartbeatSeconds { get; set; }
    [Key("idleTimeoutSeconds")] public int IdleTimeoutSeconds { get; set; }
    [Key("limits")] public LimitsDto Limits { get; set; } = new();
    [Key("conversations")] public List<ConversationDto> Conversations { get; set; } = [];

    /// <summary>Agents: how many conversations are live in all; <c>conversations</c> is the first page of them.</summary>
    [Key("inboxTotal")] public int? InboxTotal { get; set; }

    /// <summary>Agents: the cursor of the next inbox page (<c>GET /api/inbox?before=…</c>), when there is one.</summary>
    [Key("inboxNext")] public string? InboxNext { get; set; }
}

[MessagePackObject]
public sealed class LimitsDto
{
    [Key("maxFrameBytes")] public int MaxFrameBytes { get; set; }
    [Key("maxTextBytes")] public int MaxTextBytes { get; set; }
    [Key("framesPerSecond")] public double FramesPerSecond { get; set; }
    [Key("burst")] public int Burst { get; set; }
}

[MessagePackObject]
public sealed class StartedFrame : ServerFrame
{
    [Key("type")] public override string Type => "started";
    [Key("id")] public string? Id { get; set; }
    [Key("conversation")] public ConversationDto Conversation { get; set; } = new();
}

[MessagePackObject]
public sealed class AckFrame : ServerFrame
{
    [Key("type")] public override string Type => "ack";
    [Key("id")] public string? Id { get; set; }
    [Key("conversationId")] public string ConversationId { get; set; } = "";
    [Key("clientMessageId")] public string ClientMessageId { get; set; } = "";
    [Key("seq")] public long Seq { get; set; }
    [Key("sentAt")] public long SentAt { get; set; }
    [Key("duplicate")] public bool Duplicate { get; set; }
}

[MessagePackObject]
public sealed class MessageFrame : ServerFrame
{
    [Key("type")] public override string Type => "message";
    [Key("conversationId")] public string ConversationId { get; set; } = "";
    [Key("seq")] public long Seq { get; set; }
    [Key("clientMessageId")] public string ClientMessageId { get; set; } = "";
    [Key("sender")] public ParticipantDto Sender { get; set; } = new();
    [Key("text")] public string Text { get; set; } = "";
    [Key("sentAt")] public long SentAt { get; set; }
}

[MessagePackObject]
public sealed class TypingEventFrame : ServerFrame
{
    [Key("type")] public override string Type => "typing";
    [Key("conversationId")] public string ConversationId { get; set; } = "";
    [Key("from")] public ParticipantDto From { get; set; } = new();
    [Key("isTyping")] public bool IsTyping { get; set; }
}

[MessagePackObject]
public sealed class ReadEventFrame : ServerFrame
{
    [Key("type")] public override string Type => "read";
    [Key("conversationId")] public string ConversationId { get; set; } = "";
    [Key("reader")] public ParticipantDto Reader { get; set; } = new();
    [Key("seq")] public long Seq { get; set; }
}

[MessagePackObject]
public sealed class ConversationEventFrame : ServerFrame
{
    [Key("type")] public override string Type => "conversation";
    [Key("id")] public string? Id { get; set; }
    [Key("conversation")] public ConversationDto Conversation { get; set; } = new();
    [Key("by")] public ParticipantDto? By { get; set; }
}

[MessagePackObject]
public sealed class HistoryFrame : ServerFrame
{
    [Key("type")] public override string Type => "history";
    [Key("id")] public string? Id { get; set; }
    [Key("conversation")] public ConversationDto Conversation { get; set; } = new();
    [Key("messages")] public List<MessageFrame> Messages { get; set; } = [];
    [Key("readMarks")] public List<ReadMarkDto> ReadMarks { get; set; } = [];
    [Key("hasMore")] public bool HasMore { get; set; }
}

[MessagePackObject]
public sealed class PresenceEventFrame : ServerFrame
{
    [Key("type")] public override string Type => "presence";
    [Key("scope")] public string Scope { get; set; } = "";
    [Key("subjectId")] public string? SubjectId { get; set; }
    [Key("displayName")] public string? DisplayName { get; set; }
    [Key("status")] public string Status { get; set; } = "";
}

[MessagePackObject]
public sealed class PongFrame : ServerFrame
{
    [Key("type")] public override string Type => "pong";
    [Key("id")] public string? Id { get; set; }
    [Key("t")] public long? T { get; set; }
}

[MessagePackObject]
public sealed class ErrorFrame : ServerFrame
{
    [Key("type")] public override string Type => "error";
    [Key("id")] public string? Id { get; set; }
    [Key("code")] public string Code { get; set; } = "";
    [Key("message")] public string Message { get; set; } = "";
    [Key("retryAfterMs")] public int? RetryAfterMs { get; set; }

    /// <summary>For <c>internal_error</c>: the id under which the gateway logged the failure.</summary>
    [Key("correlationId")] public string? CorrelationId { get; set; }
}

[MessagePackObject]
public sealed class ReconnectFrame : ServerFrame
{
    [Key("type")] public override string Type => "reconnect";
    [Key("reason")] public string Reason { get; set; } = "";
    [Key("afterMs")] public int AfterMs { get; set; }
}

[MessagePackObject]
public sealed class ParticipantDto
{
    [Key("kind")] public string Kind { get; set; } = "";
    [Key("id")] public string Id { get; set; } = "";
    [Key("name")] public string? Name { get; set; }
}

[MessagePackObject]
public sealed class ReadMarkDto
{
    [Key("reader")] public ParticipantDto Reader { get; set; } = new();
    [Key("seq")] public long Seq { get; set; }
}

[MessagePackObject]
public sealed class ConversationDto
{
    [Key("conversationId")] public string ConversationId { get; set; } = "";
    [Key("visitorId")] public string VisitorId { get; set; } = "";
    [Key("visitorName")] public string? VisitorName { get; set; }
    [Key("status")] public string Status { get; set; } = "";
    [Key("assignedAgentId")] public string? AssignedAgentId { get; set; }
    [Key("lastSeq")] public long LastSeq { get; set; }
    [Key("startedAt")] public long StartedAt { get; set; }
    [Key("lastActivityAt")] public long LastActivityAt { get; set; }

    /// <summary>Only when the visitor gave an email: <c>pending</c>, <c>awaiting_confirmation</c>, <c>sent</c>, <c>limited</c>, <c>failed</c>.</summary>
    [Key("transcript")] public string? Transcript { get; set; }
}
