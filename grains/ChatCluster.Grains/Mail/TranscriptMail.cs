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

    /// <summary>
    /// The code that confirms a transcript address (issue 15). Only the site's name and the code: nothing the visitor
    /// wrote, not even their name, so an address typed by someone else receives no text of theirs.
    /// </summary>
    public static OutgoingMail ComposeConfirmation(string tenantId, string conversationId, string toAddress, string siteName, string code)
    {
        var body = new StringBuilder();
        body.AppendLine("Hello,");
        body.AppendLine();
        body.AppendLine(CultureInfo.InvariantCulture, $"someone started a chat with {siteName} and asked for a copy of it to be mailed to this address.");
        body.AppendLine(CultureInfo.InvariantCulture, $"If that was you, enter the confirmation code {code} in the chat window.");
        body.AppendLine();
        body.AppendLine("If it was not you, ignore this mail: nothing more will be sent to you about this chat.");
        return new OutgoingMail(tenantId, conversationId, toAddress, null, "Confirm your address for the chat transcript", body.ToString());
    }
}
