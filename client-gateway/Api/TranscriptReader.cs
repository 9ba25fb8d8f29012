using ChatCluster.Conversations;

namespace ChatCluster.Gateway.Api;

/// <summary>Reads a whole conversation page by page, for the HTTP answers that return every message at once.</summary>
public static class TranscriptReader
{
    public static async Task<HistoryPage> ReadAll(IConversationGrain conversation, Participant reader)
    {
        var messages = new List<ChatMessage>();
        HistoryPage page;
        do
        {
            page = await conversation.GetHistory(reader, messages.Count == 0 ? 0 : messages[^1].Seq, MessageLimits.MaxHistoryPage);
            messages.AddRange(page.Messages);
        }
        while (page.HasMore);
        return new HistoryPage(page.Conversation, messages, page.ReadMarks, HasMore: false);
    }
}
