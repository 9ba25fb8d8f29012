using ChatCluster.Grains.Conversations;

namespace ChatCluster.Grains.Tests;

/// <summary>
/// W5, R1 on the fake business clock with the default <c>ChatCluster:Mail:Retry</c> settings: the owed transcript's
/// schedule (1 min, then 4 min, …) and its end at expiry. The <c>transcript-retry</c> tick is called directly, as
/// the reminder would call it, so minutes of back-off take no real time.
/// </summary>
[Collection(RetentionCollection.Name)]
public sealed class TranscriptRetryScheduleTests(RetentionCluster cluster)
{
    [Fact]
    public async Task An_owed_transcript_is_retried_after_one_then_four_minutes_and_sent_once_when_the_server_is_back()
    {
        var chat = await cluster.NewChat(await cluster.NewTenant());
        cluster.Mail.Down(chat.ConversationId);
        await chat.Conversation.Close(chat.Me);
        var closedAt = cluster.Time.GetUtcNow();
        Assert.Equal((1, closedAt + TimeSpan.FromMinutes(1)), await Owed(chat));
        Assert.True(await TranscriptRetryReminder.IsPending(cluster.Cluster, chat.Conversation));

        await Tick(chat); // early: not yet due
        Assert.Equal((1, closedAt + TimeSpan.FromMinutes(1)), await Owed(chat));

        cluster.Time.Advance(TimeSpan.FromMinutes(1));
        await Tick(chat);
        Assert.Equal((2, closedAt + TimeSpan.FromMinutes(5)), await Owed(chat));

        cluster.Mail.Down(chat.ConversationId, isDown: false);
        cluster.Time.Advance(TimeSpan.FromMinutes(4));
        await Tick(chat);
        await Tick(chat);

        var mail = Assert.Single(cluster.Mail.Sent, m => m.SubjectId == chat.ConversationId);
        Assert.Equal(Chat.Email, mail.ToAddress);
        Assert.Contains(Chat.Text, mail.TextBody);
        Assert.Null((await cluster.StoredState<ConversationState>(chat.Conversation, "conversation")).State.OwedTranscript);
        Assert.False(await TranscriptRetryReminder.IsPending(cluster.Cluster, chat.Conversation));
    }

    [Fact]
    public async Task An_expiry_before_the_retry_sends_nothing_and_removes_the_retry_reminder()
    {
        var chat = await cluster.NewChat(await cluster.NewTenant());
        cluster.Mail.Down(chat.ConversationId);
        await chat.Conversation.Close(chat.Me);
        Assert.True(await TranscriptRetryReminder.IsPending(cluster.Cluster, chat.Conversation));
        cluster.Mail.Down(chat.ConversationId, isDown: false);

        cluster.Time.Advance(TimeSpan.FromDays(366));
        await RetentionCluster.Eventually(async () => !(await chat.Conversation.GetRetention()).HoldsPersonalData, "the conversation expired");

        Assert.False(await TranscriptRetryReminder.IsPending(cluster.Cluster, chat.Conversation));
        await Tick(chat); // a tick already on its way when the reminder went
        Assert.DoesNotContain(cluster.Mail.Sent, m => m.SubjectId == chat.ConversationId);
    }

    private Task Tick(Chat chat) =>
        cluster.Grains.GetGrain<IRemindable>(chat.Conversation.GetGrainId()).ReceiveReminder(ConversationGrain.TranscriptRetryReminder, default);

    private async Task<(int FailedAttempts, DateTimeOffset NextAttemptAt)?> Owed(Chat chat) =>
        (await cluster.StoredState<ConversationState>(chat.Conversation, "conversation")).State.OwedTranscript is { } owed
            ? (owed.FailedAttempts, owed.NextAttemptAt)
            : null;
}
