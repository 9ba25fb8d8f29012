using System.Globalization;
using System.Text;
using ChatCluster.Conversations;

namespace ChatCluster.Grains.Mail;

/// <summary>The transcript a visitor who gave an email receives when the chat ends (W5): plain text, oldest first.</summary>
public static class TranscriptMail
{
    public static OutgoingMail Compose(string tenantId, string conversationId, string toAddress, string? toName,
        DateTimeOffset startedAt, IReadOnlyList<ChatMessage> messages)
    {
        var body = new StringBuilder();
        body.Append("Hello").Append(toName is null ? "" : " " + toName).AppendLine(",");
        body.AppendLine();
        body.AppendLine(CultureInfo.InvariantCulture, $"here is a copy of your chat of {startedAt:yyyy-MM-dd HH:mm} UTC.");
        body.AppendLine();
        foreach (var message in messages)
        {
            var who = message.Sender.Kind switch
            {
                ParticipantKind.Visitor => "You",
                ParticipantKind.Agent => message.Sender.DisplayName ?? "Agent",
                _ => "System",
            };
            body.AppendLine(CultureInfo.InvariantCulture, $"[{message.SentAt:HH:mm}] {who}: {message.Text}");
        }
        body.AppendLine();
        body.AppendLine("This copy was sent because you gave your email address at the start of the chat.");
        return new OutgoingMail(tenantId, conversationId, toAddress, toName, "Your chat transcript", body.ToString());
    }
}
