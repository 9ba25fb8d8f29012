namespace ChatCluster.Conversations;

/// <summary>Size limits of chat content, shared by the gateway (early rejection) and the grain (the rule).</summary>
public static class MessageLimits
{
    /// <summary>A message's text, in UTF-8 bytes (16 KiB).</summary>
    public const int MaxTextBytes = 16 * 1024;

    /// <summary>A client message id (the idempotency key of a send).</summary>
    public const int MaxClientMessageIdLength = 64;

    /// <summary>The most messages one history page returns.</summary>
    public const int MaxHistoryPage = 500;

    /// <summary>A conversation refuses messages beyond this many; a chat this long is a runaway client.</summary>
    public const int MaxMessagesPerConversation = 20_000;
}
