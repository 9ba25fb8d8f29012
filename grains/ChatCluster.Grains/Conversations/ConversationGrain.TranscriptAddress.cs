using System.Security.Cryptography;
using System.Text;
using ChatCluster.Conversations;
using ChatCluster.Grains.Mail;
using ChatCluster.Tenants;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// Whether the address a visitor typed at the start may get a transcript (issue 15, W5): the tenant's daily allowance
/// (<see cref="ITranscriptQuotaGrain"/>) and, when the tenant asks for it, the address's owner confirming with a code
/// mailed to it first. Without both, the transcript would make the tenant's sender a relay for whatever a script writes.
/// </summary>
public sealed partial class ConversationGrain
{
    /// <summary>Decides, at the start, what the transcript will be; only a conversation with an email and a mail sender has one.</summary>
    private async Task PromiseTranscript(string visitorId, string? email)
    {
        if (Mail is null || email is not { Length: > 0 }) return;
        if (!await GrainFactory.GetGrain<ITranscriptQuotaGrain>(tenantId).TryTake(visitorId, email))
        {
            state.State.Transcript = TranscriptStatus.Limited;
            logger.LogInformation("Conversation {Conversation} gets no transcript: a daily transcript limit of the tenant is reached ({Section})",
                key, TranscriptLimitOptions.Section);
            return;
        }
        if (!(await GrainFactory.GetGrain<ITenantGrain>(tenantId).GetTranscriptSettings()).ConfirmEmail)
        {
            state.State.Transcript = TranscriptStatus.Pending;
            return;
        }
        state.State.Transcript = TranscriptStatus.AwaitingConfirmation;
        state.State.TranscriptCode = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The confirmation mail holds the code and the tenant's name, nothing the visitor wrote. It is filed under the
    /// conversation, so it goes with the conversation's other mail. A failed send is logged; the visitor can start anew.
    /// </summary>
    private async Task MailConfirmationCode()
    {
        if (state.State is not { Transcript: TranscriptStatus.AwaitingConfirmation, TranscriptCode: { } code, VisitorEmail: { } email } || Mail is not { } mail) return;
        try
        {
            var tenant = await GrainFactory.GetGrain<ITenantGrain>(tenantId).GetInfo();
            await mail.Send(TranscriptMail.ComposeConfirmation(tenantId, conversationId, email, tenant?.Name ?? tenantId, code));
        }
        catch (Exception ex)
        {
            // As with transcripts, never the exception's text: mail servers echo the recipient in it.
            logger.LogWarning("The transcript confirmation code of conversation {Conversation} was not mailed: {ErrorType}", key, ex.GetType().FullName);
        }
    }

    public async Task<ConversationSummary> ConfirmTranscript(Participant visitor, string code)
    {
        if (!visitor.IsVisitor) throw ChatRuleException.Forbidden("Only the visitor confirms their transcript address.");
        EnsureParticipant(visitor);
        if (state.State.Transcript != TranscriptStatus.AwaitingConfirmation || state.State.TranscriptCode is not { } expected)
            throw ChatRuleException.Invalid("This conversation has no transcript address waiting for confirmation.");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(code.Trim()), Encoding.UTF8.GetBytes(expected)))
        {
            state.State.TranscriptCodeAttempts++;
            var spent = state.State.TranscriptCodeAttempts >= TranscriptConfirmation.MaxAttempts;
            if (spent)
            {
                state.State.Transcript = TranscriptStatus.Limited;
                state.State.TranscriptCode = null;
            }
            await state.WriteStateAsync();
            throw new ChatRuleException(ErrorCodes.InvalidCode, spent
                ? $"The code was wrong {TranscriptConfirmation.MaxAttempts} times; no transcript will be sent."
                : "The code is wrong; check the mail and try again.");
        }
        state.State.Transcript = TranscriptStatus.Pending;
        state.State.TranscriptCode = null;
        await state.WriteStateAsync();
        if (state.State.Status == ConversationStatus.Closed) await MailTranscript(); // confirmed after the close: send it now
        return Summary();
    }
}
