using ChatCluster.Grains.Mail;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// Transcripts by email (W5): when the conversation closes and the visitor gave an email, a copy is mailed.
/// Without an email nothing is sent, and nothing is kept that could be sent later. Kept copies (the outbox)
/// die with the conversation's other personal data (R1, R5) and after two years at the latest (R6).
/// </summary>
public sealed partial class ConversationGrain
{
    private IMailSender? Mail => ServiceProvider.GetService<IMailSender>();

    /// <summary>
    /// Awaited inside the close so that an erasure right after it (the next turn of this grain) finds the copy to
    /// delete; a failing mail server is logged and does not fail the close (the close is already stored). The log
    /// line carries the reason but never the exception's own text: mail servers echo the recipient's address in it.
    /// The transcript is not retried; the silo counts the failure (MailMetrics) so operators can alert on it.
    /// </summary>
    private async Task MailTranscript()
    {
        if (Mail is not { } mail || state.State.VisitorEmail is not { Length: > 0 } email) return;
        var transcript = TranscriptMail.Compose(tenantId, conversationId, email, state.State.VisitorName, state.State.StartedAt, [.. messages]);
        try
        {
            await mail.Send(transcript);
        }
        catch (MailDeliveryException ex)
        {
            logger.LogWarning("The transcript of conversation {Conversation} was not mailed: {Reason} (transient: {Transient})", key, ex.Message, ex.Transient);
        }
        catch (Exception ex)
        {
            logger.LogWarning("The transcript of conversation {Conversation} was not mailed: {ErrorType}", key, ex.GetType().FullName);
        }
    }

    private Task ForgetMail() => Mail?.Purge(tenantId, conversationId) ?? Task.CompletedTask;
}
