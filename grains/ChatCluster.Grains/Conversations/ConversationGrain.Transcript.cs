using ChatCluster.Conversations;
using ChatCluster.Grains.Mail;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// Transcripts by email (W5): when the conversation closes and the visitor gave an email, a copy is mailed.
/// Without an email nothing is sent, and nothing is kept that could be sent later. Kept copies (the outbox)
/// die with the conversation's other personal data (R1, R5) and after two years at the latest (R6).
/// A transient failure leaves an <see cref="OwedTranscript"/> in the state and a <c>transcript-retry</c> reminder;
/// each retry composes the mail afresh from what the conversation holds then, so an erasure or expiry in between
/// leaves nothing to send.
/// </summary>
public sealed partial class ConversationGrain
{
    public const string TranscriptRetryReminder = "transcript-retry";

    /// <summary>A tick this much before the planned time still counts: reminder timers may fire a hair early.</summary>
    private static readonly TimeSpan RetrySlack = TimeSpan.FromMilliseconds(500);

    private IMailSender? Mail => ServiceProvider.GetService<IMailSender>();

    private MailRetryOptions MailRetry => ServiceProvider.GetService<IOptions<MailRetryOptions>>()?.Value ?? new MailRetryOptions();

    /// <summary>
    /// Awaited inside the close so that an erasure right after it (the next turn of this grain) finds the copy to
    /// delete; a failing mail server does not fail the close (the close is already stored), it leaves the transcript
    /// owed when trying again may help.
    /// </summary>
    private async Task MailTranscript()
    {
        var before = state.State.Transcript;
        if (await SendTranscript() is not { Transient: true })
        {
            if (state.State.Transcript != before) await SaveTranscriptStatus();
            return;
        }
        var now = time.GetUtcNow();
        state.State.OwedTranscript = new OwedTranscript { FailedAttempts = 1, FirstFailedAt = now };
        try
        {
            await OweTranscriptFrom(now);
        }
        catch (Exception ex)
        {
            // Storage or the reminder service failing too must not fail a close that is already stored.
            logger.LogWarning("The transcript of conversation {Conversation} will not be retried: {ErrorType}", key, ex.GetType().FullName);
        }
    }

    /// <summary>The <c>transcript-retry</c> tick: tries the owed transcript again, then plans the next try, gives up or stops.</summary>
    private async Task RetryTranscript()
    {
        if (state.State.OwedTranscript is not { } owed)
        {
            await CancelTranscriptRetry();
            return;
        }
        var now = time.GetUtcNow();
        if (now < owed.NextAttemptAt - RetrySlack) return;

        ServiceProvider.GetService<ITranscriptRetryMetrics>()?.Retried();
        if (await SendTranscript() is { Transient: true })
        {
            owed.FailedAttempts++;
            if (now + MailRetry.DelayAfter(owed.FailedAttempts) - owed.FirstFailedAt <= MailRetry.GiveUpAfter)
            {
                await OweTranscriptFrom(now);
                return;
            }
            logger.LogWarning("Gave up mailing the transcript of conversation {Conversation} after {Attempts} attempts since {FirstFailedAt:u} ({Setting})",
                key, owed.FailedAttempts, owed.FirstFailedAt, $"{MailRetryOptions.Section}:GiveUpAfter");
            ServiceProvider.GetService<ITranscriptRetryMetrics>()?.Abandoned();
            if (state.State.Transcript is not null) state.State.Transcript = TranscriptStatus.Failed;
        }
        state.State.OwedTranscript = null;
        await state.WriteStateAsync();
        await CancelTranscriptRetry();
    }

    private async Task OweTranscriptFrom(DateTimeOffset now)
    {
        var owed = state.State.OwedTranscript!;
        var delay = MailRetry.DelayAfter(owed.FailedAttempts);
        owed.NextAttemptAt = now + delay;
        await state.WriteStateAsync();
        // Orleans has no one-shot reminders: the period only matters if this tick is missed; the tick moves or removes it.
        var minimum = ServiceProvider.GetRequiredService<IOptions<ReminderOptions>>().Value.MinimumReminderPeriod;
        await this.RegisterOrUpdateReminder(TranscriptRetryReminder, delay, delay < minimum ? minimum : delay);
    }

    /// <summary>
    /// Sends the transcript composed from the current state and messages; null when it was sent or there is nothing to
    /// send (no mail sender, no email, data erased, over the daily limit or not confirmed: issue 15). The log line
    /// carries the reason but never the exception's own text: mail servers echo the recipient's address in it. The silo
    /// also counts each failure (MailMetrics). An unexpected exception counts as transient.
    /// </summary>
    private async Task<MailDeliveryException?> SendTranscript()
    {
        if (Mail is not { } mail || !state.State.Started || state.State.VisitorEmail is not { Length: > 0 } email) return null;
        // Null: a conversation started before transcripts were tracked, which was promised one unconditionally.
        if (state.State.Transcript is not (null or TranscriptStatus.Pending)) return null;
        var transcript = TranscriptMail.Compose(tenantId, conversationId, email, state.State.VisitorName, state.State.StartedAt, [.. messages]);
        try
        {
            await mail.Send(transcript);
            if (state.State.Transcript is not null) state.State.Transcript = TranscriptStatus.Sent;
            return null;
        }
        catch (MailDeliveryException ex)
        {
            logger.LogWarning("The transcript of conversation {Conversation} was not mailed: {Reason} (transient: {Transient})", key, ex.Message, ex.Transient);
            if (!ex.Transient && state.State.Transcript is not null) state.State.Transcript = TranscriptStatus.Failed;
            return ex;
        }
        catch (Exception ex)
        {
            logger.LogWarning("The transcript of conversation {Conversation} was not mailed: {ErrorType}", key, ex.GetType().FullName);
            return new MailDeliveryException(ex.GetType().Name, transient: true);
        }
    }

    /// <summary>Stores that the transcript was sent or refused; a failing store must not fail the close, which is stored already.</summary>
    private async Task SaveTranscriptStatus()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning("The transcript status of conversation {Conversation} was not stored: {ErrorType}", key, ex.GetType().FullName);
        }
    }

    private async Task CancelTranscriptRetry()
    {
        if (await this.GetReminder(TranscriptRetryReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    private Task ForgetMail() => Mail?.Purge(tenantId, conversationId) ?? Task.CompletedTask;
}

/// <summary>
/// A transcript still owed to the visitor after a transient failure. Only when and how often: never the mail itself,
/// which is composed again at each try from the data the conversation still holds (R1, R5).
/// </summary>
[GenerateSerializer]
public sealed class OwedTranscript
{
    [Id(0)] public int FailedAttempts { get; set; }
    [Id(1)] public DateTimeOffset FirstFailedAt { get; set; }
    [Id(2)] public DateTimeOffset NextAttemptAt { get; set; }
}
