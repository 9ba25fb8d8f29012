using System.Diagnostics.Metrics;
using ChatCluster.Conversations;
using ChatCluster.Grains.Conversations;
using ChatCluster.Privacy;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Grains.Tests;

/// <summary>
/// W5 with a mail server that says "try again later": the transcript is owed durably and retried by the
/// conversation's <c>transcript-retry</c> reminder (1 s apart here), composed afresh each time; a refusal is final,
/// and an erasure in between leaves nothing to send.
/// </summary>
public sealed class TranscriptRetryTests(SmtpCluster cluster) : IClassFixture<SmtpCluster>
{
    [Fact]
    public async Task A_transcript_deferred_by_the_mail_server_arrives_once_after_a_retry()
    {
        var chat = await cluster.NewChat("busy-" + Ids.Random(5) + "@example.com");
        await chat.Conversation.Close(chat.Me);

        var line = await cluster.Logs.WaitFor(chat.ConversationId);
        Assert.Contains("SMTP 451", line);
        Assert.Contains("transient: True", line);
        Assert.DoesNotContain(chat.Email, line);
        Assert.True(await RetryPending(chat));

        var delivery = await cluster.Server.WaitFor(chat.Email, seconds: 8);
        Assert.Contains(SmtpCluster.Text, delivery.Data);
        await WaitUntilNoRetry(chat);
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // more than two retry periods: a second copy would have come by now
        Assert.Single(cluster.Server.Messages, m => m.To.Contains(chat.Email));
    }

    [Fact]
    public async Task A_recipient_refused_by_the_mail_server_is_not_retried()
    {
        var chat = await cluster.NewChat("refused-" + Ids.Random(5) + "@example.com");
        await chat.Conversation.Close(chat.Me);

        Assert.Contains("transient: False", await cluster.Logs.WaitFor(chat.ConversationId));
        Assert.False(await RetryPending(chat));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal(1, cluster.Logs.Count(chat.ConversationId));
    }

    [Fact]
    public async Task An_erasure_before_the_retry_sends_nothing_and_removes_the_retry_reminder()
    {
        var chat = await cluster.NewChat("busy-" + Ids.Random(5) + "@example.com");
        await chat.Conversation.Close(chat.Me);
        Assert.True(await RetryPending(chat));

        var report = await cluster.Grains.GetGrain<IDataProtectionGrain>(chat.TenantId).EraseVisitor(chat.VisitorId, "agent:a_admin");

        Assert.Equal(1, report.ConversationsErased);
        Assert.False(await RetryPending(chat));
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the server would accept the retry now
        Assert.DoesNotContain(cluster.Server.Messages, m => m.To.Contains(chat.Email));
    }

    [Fact]
    public async Task A_retried_transcript_is_composed_afresh_and_goes_to_the_rectified_address()
    {
        var chat = await cluster.NewChat("busy-" + Ids.Random(5) + "@example.com");
        await chat.Conversation.Close(chat.Me);
        Assert.True(await RetryPending(chat));

        var corrected = "jo-" + Ids.Random(5) + "@example.com";
        await chat.Conversation.Rectify(new ConversationContact("Joanna", corrected));

        var delivery = await cluster.Server.WaitFor(corrected, seconds: 8);
        Assert.Contains("Hello Joanna", delivery.Data);
        Assert.DoesNotContain(cluster.Server.Messages, m => m.To.Contains(chat.Email));
    }

    private Task<bool> RetryPending(SmtpChat chat) => TranscriptRetryReminder.IsPending(cluster.Cluster, chat.Conversation);

    private Task WaitUntilNoRetry(SmtpChat chat) => TranscriptRetryReminder.WaitUntilGone(cluster.Cluster, chat.Conversation);
}

/// <summary>W5 with the mail server down for good: the retries stop at <c>ChatCluster:Mail:Retry:GiveUpAfter</c> (2.5 s here).</summary>
public sealed class TranscriptGiveUpTests(SmtpServerDownCluster cluster) : IClassFixture<SmtpServerDownCluster>
{
    [Fact]
    public async Task With_the_mail_server_down_the_transcript_is_given_up_after_the_bound_with_a_warning_and_a_count()
    {
        var factory = cluster.Cluster.Silos[0].ServiceProvider.GetRequiredService<IMeterFactory>();
        var abandoned = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "chatcluster.mail.abandoned") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref abandoned, value));
        listener.Start();
        var chat = await cluster.NewChat("down-" + Ids.Random(5) + "@example.com");

        await chat.Conversation.Close(chat.Me);

        var line = await cluster.Logs.WaitFor("Gave up mailing the transcript of conversation " + chat.TenantId + "/" + chat.ConversationId, seconds: 10);
        Assert.Contains("ChatCluster:Mail:Retry:GiveUpAfter", line);
        Assert.DoesNotContain(chat.Email, line);
        await TranscriptRetryReminder.WaitUntilGone(cluster.Cluster, chat.Conversation);
        Assert.True(Interlocked.Read(ref abandoned) >= 1);
        // Sent at close, then after about 1 s and 2 s; the next try (about 3 s) would be past the bound. A reminder
        // tick late by half a second on a busy machine makes the 2 s try the one past the bound: then there are two.
        var failures = cluster.Logs.Count(chat.ConversationId + " was not mailed");
        Assert.InRange(failures, 2, 3);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(failures, cluster.Logs.Count(chat.ConversationId + " was not mailed"));
    }
}

internal static class TranscriptRetryReminder
{
    /// <summary>Whether the silo's reminder table holds the conversation's <c>transcript-retry</c> reminder.</summary>
    public static async Task<bool> IsPending(Orleans.TestingHost.InProcessTestCluster cluster, IConversationGrain conversation)
    {
        var table = cluster.Silos[0].ServiceProvider.GetRequiredService<IReminderTable>();
        var rows = await table.ReadRows(conversation.GetGrainId());
        return rows.Reminders.Any(r => r.ReminderName == ConversationGrain.TranscriptRetryReminder);
    }

    /// <summary>Waits (real time, at most a few seconds) until the conversation's <c>transcript-retry</c> reminder is unregistered.</summary>
    public static async Task WaitUntilGone(Orleans.TestingHost.InProcessTestCluster cluster, IConversationGrain conversation, int seconds = 3)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (await IsPending(cluster, conversation))
        {
            if (DateTime.UtcNow > until) throw new Xunit.Sdk.XunitException($"The transcript-retry reminder was still registered after {seconds} s.");
            await Task.Delay(20);
        }
    }
}
