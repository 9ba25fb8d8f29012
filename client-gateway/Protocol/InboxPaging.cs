using ChatCluster.Inbox;

namespace ChatCluster.Gateway.Protocol;

/// <summary>
/// The inbox travels in pages (issue 15): a welcome and <c>GET /api/inbox</c> carry the most recently active
/// conversations and a cursor for the next page, never the whole list. The cursor is opaque to clients:
/// <c>{ticks}~{conversationId}</c> of the page's last conversation.
/// </summary>
public static class InboxPaging
{
    public static string? Next(InboxPage page) =>
        page.HasMore && page.Conversations.Count > 0
            ? $"{page.Conversations[^1].LastActivityAt.UtcTicks}~{page.Conversations[^1].ConversationId}"
            : null;

    /// <summary>The cursor, or null for a missing one; false for one this gateway did not write.</summary>
    public static bool TryParse(string? text, out InboxCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text)) return true;
        var tilde = text.IndexOf('~');
        if (text.Length > 100 || tilde <= 0 || !long.TryParse(text.AsSpan(0, tilde), System.Globalization.NumberStyles.None, null, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks || !Ids.IsLocalId(text[(tilde + 1)..]))
            return false;
        cursor = new InboxCursor(new DateTimeOffset(ticks, TimeSpan.Zero), text[(tilde + 1)..]);
        return true;
    }
}
