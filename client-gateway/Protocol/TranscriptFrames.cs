using MessagePack;

namespace ChatCluster.Gateway.Protocol;

// The frame that confirms a transcript address (issue 15; docs/protocol.md). Same conventions as Frames.cs.

/// <summary>A visitor enters the code mailed to the transcript address of one of their conversations.</summary>
[MessagePackObject]
public sealed class ConfirmTranscriptFrame : ClientFrame
{
    public const string Name = "confirm_transcript";
    [Key("type")] public override string Type => Name;
    [Key("conversationId")] public string? ConversationId { get; set; }
    [Key("code")] public string? Code { get; set; }
}
