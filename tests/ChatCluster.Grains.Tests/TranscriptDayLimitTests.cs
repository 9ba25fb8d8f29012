using ChatCluster.Conversations;

namespace ChatCluster.Grains.Tests;

/// <summary>Issue 15 item 3: the daily transcript allowance of an address is counted per UTC day, on the grains' clock.</summary>
[Collection(RetentionCollection.Name)]
public sealed class TranscriptDayLimitTests(RetentionCluster cluster)
{
    [Fact]
    public async Task An_address_past_its_daily_transcripts_gets_none_until_the_next_day()
    {
        var tenant = await cluster.NewTenant();
        var outcomes = new List<TranscriptStatus?>();
        for (var i = 0; i < 6; i++)
        {
            var chat = await cluster.NewChat(tenant); // a new visitor each time, always Chat.Email
            outcomes.Add((await chat.Conversation.Close(chat.Me)).Transcript);
        }
        Assert.Equal([.. Enumerable.Repeat<TranscriptStatus?>(TranscriptStatus.Sent, 5), TranscriptStatus.Limited], outcomes);
        Assert.Equal(5, cluster.Mail.Sent.Count(m => m.TenantId == tenant && m.ToAddress == Chat.Email));

        cluster.Time.Advance(TimeSpan.FromDays(1));
        var tomorrow = await cluster.NewChat(tenant);
        Assert.Equal(TranscriptStatus.Pending, (await tomorrow.Conversation.GetSummary())!.Transcript);
        Assert.Equal(TranscriptStatus.Sent, (await tomorrow.Conversation.Close(tomorrow.Me)).Transcript);
        Assert.Equal(6, cluster.Mail.Sent.Count(m => m.TenantId == tenant && m.ToAddress == Chat.Email));
    }
}
