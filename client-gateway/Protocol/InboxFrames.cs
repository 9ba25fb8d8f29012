using MessagePack;

namespace ChatCluster.Gateway.Protocol;

// Frames added for coalesced inbox delivery (issue 13; docs/protocol.md). Same conventions as Frames.cs.

/// <summary>
/// Agents only: the latest snapshots of the tenant's conversations whose messages moved (<c>lastSeq</c>,
/// <c>lastActivityAt</c>) in the last window, one frame per window per socket however many conversations moved.
/// New conversations and status or assignment changes still come at once as <c>conversation</c> frames.
/// </summary>
[MessagePackObject]
public sealed class InboxFrame : ServerFrame
{
    [Key("type")] public override string Type => "inbox";
    [Key("conversations")] public List<ConversationDto> Conversations { get; set; } = [];
}
