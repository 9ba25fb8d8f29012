using MessagePack;

namespace ChatCluster.Gateway.Protocol;

// Frames added for rating at close and assignment (issue 5; docs/protocol.md). Same conventions as Frames.cs.

/// <summary>A visitor rates a closed conversation: score 1–5, optional comment.</summary>
[MessagePackObject]
public sealed class RateFrame : ClientFrame
{
    public const string Name = "rate";
    [Key("type")] public override string Type => Name;
    [Key("conversationId")] public string? ConversationId { get; set; }
    [Key("score")] public int? Score { get; set; }
    [Key("comment")] public string? Comment { get; set; }
}

[MessagePackObject]
public sealed class RatedFrame : ServerFrame
{
    [Key("type")] public override string Type => "rated";
    [Key("id")] public string? Id { get; set; }
    [Key("conversationId")] public string ConversationId { get; set; } = "";
    [Key("score")] public int Score { get; set; }
}

/// <summary>An agent hands a conversation to another agent of the tenant.</summary>
[MessagePackObject]
public sealed class TransferFrame : ClientFrame
{
    public const string Name = "transfer";
    [Key("type")] public override string Type => Name;
    [Key("conversationId")] public string? ConversationId { get; set; }
    [Key("toAgentId")] public string? ToAgentId { get; set; }
}
