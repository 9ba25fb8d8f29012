using ChatCluster.Conversations;
using ChatCluster.Inbox;
using Orleans.Streams;

namespace ChatCluster.Grains.Tests;

[Collection(ChatGrainClusterCollection.Name)]
public sealed class ConversationGrainTests(ChatGrainCluster fixture)
{
    private static readonly Participant Visitor = new(ParticipantKind.Visitor, "v_aaaaaaaaaaaa", null);
    private static readonly Participant Stranger = new(ParticipantKind.Visitor, "v_bbbbbbbbbbbb", null);
    private static readonly Participant Agent = new(ParticipantKind.Agent, "a_cccccccccccc", "Ann");

    private static string NewKey(string tenant = "acme") => GrainKeys.Scoped(tenant, Ids.NewConversationId());

    private IConversationGrain Started(out string key)
    {
        key = NewKey();
        return fixture.Grains.GetGrain<IConversationGrain>(key);
    }

    [Fact]
    public async Task Messages_get_gapless_sequence_numbers_from_one()
    {
        var conversation = Started(out _);
        await conversation.Start(Visitor, new ConversationContact("Jo", null));
        var seqs = new List<long>();
        for (var i = 0; i < 5; i++) seqs.Add((await conversation.Send(Visitor, $"c{i}", $"text {i}")).Seq);
        Assert.Equal([1, 2, 3, 4, 5], seqs);
    }

    [Fact]
    public async Task Resending_a_client_message_id_returns_the_original_and_adds_nothing()
    {
        var conversation = Started(out _);
        await conversation.Start(Visitor, new ConversationContact(null, null));
        var first = await conversation.Send(Visitor, "same", "hello");
        var again = await conversation.Send(Visitor, "same", "hello");
        Assert.Equal(first.Seq, again.Seq);
        Assert.True(again.Duplicate);
        Assert.Single((await conversation.GetHistory(Visitor, 0, 100)).Messages);
    }

    [Fact]
    public async Task Only_the_conversations_own_visitor_may_read_or_write_it()
    {
        var conversation = Started(out _);
        await conversation.Start(Visitor, new ConversationContact(null, null));
        var denied = await Assert.ThrowsAsync<ChatRuleException>(() => conversation.Send(Stranger, "x", "intrusion"));
        Assert.Equal(ErrorCodes.NotFound, denied.Code);
        await Assert.ThrowsAsync<ChatRuleException>(() => conversation.GetHistory(Stranger, 0, 10));
        await conversation.Send(Agent, "a1", "agents of the tenant may");
    }

    [Fact]
    public async Task A_conversation_that_was_never_started_does_not_exist()
    {
        var conversation = fixture.Grains.GetGrain<IConversationGrain>(NewKey());
        Assert.Null(await conversation.GetSummary());
        var error = await Assert.ThrowsAsync<ChatRuleException>(() => conversation.Send(Agent, "a1", "hello?"));
        Assert.Equal(ErrorCodes.NotFound, error.Code);
    }

    [Fact]
    public async Task History_after_a_sequence_returns_only_later_messages_in_order()
    {
        var conversation = Started(out _);
        await conversation.Start(Visitor, new ConversationContact(null, null));
        for (var i = 1; i <= 10; i++) await conversation.Send(i % 2 == 0 ? Agent : Visitor, $"c{i}", $"m{i}");
        var page = await conversation.GetHistory(Visitor, 6, 3);
        Assert.Equal([7, 8, 9], page.Messages.Select(m => m.Seq));
        Assert.True(page.HasMore);
    }

    [Fact]
    public async Task An_agent_reply_claims_an_open_conversation_and_closing_refuses_more_messages()
    {
        var conversation = Started(out _);
        await conversation.Start(Visitor, new ConversationContact(null, null));
        await conversation.Send(Agent, "a1", "Hi, I'm Ann");
        var summary = (await conversation.GetSummary())!;
        Assert.Equal(ConversationStatus.Assigned, summary.Status);
        Assert.Equal(Agent.Id, summary.AssignedAgentId);

        await conversation.Close(Visitor);
        var closed = await Assert.ThrowsAsync<ChatRuleException>(() => conversation.Send(Visitor, "late", "one more"));
        Assert.Equal(ErrorCodes.ConversationClosed, closed.Code);
    }

    [Fact]
    public async Task Text_over_16_KiB_is_refused()
    {
        var conversation = Started(out _);
        await conversation.Start(Visitor, new ConversationContact(null, null));
        var error = await Assert.ThrowsAsync<ChatRuleException>(() => conversation.Send(Visitor, "big", new string('x', MessageLimits.MaxTextBytes + 1)));
        Assert.Equal(ErrorCodes.MessageTooLong, error.Code);
    }

    [Fact]
    public async Task Messages_survive_deactivation_of_the_grain()
    {
        var conversation = Started(out _);
        await conversation.Start(Visitor, new ConversationContact("Jo", null));
        await conversation.Send(Visitor, "c1", "before");
        await fixture.Cluster.DeactivateAsync(conversation);
        await conversation.Send(Visitor, "c1", "before"); // still deduplicated after reactivation
        var history = await conversation.GetHistory(Visitor, 0, 10);
        Assert.Equal(["before"], history.Messages.Select(m => m.Text));
        Assert.Equal("Jo", history.Conversation.VisitorName);
    }

    [Fact]
    public async Task Every_accepted_message_is_published_on_the_conversation_stream_in_order()
    {
        var conversation = Started(out var key);
        await conversation.Start(Visitor, new ConversationContact(null, null));
        var seen = new List<long>();
        var all = new TaskCompletionSource();
        var stream = fixture.Cluster.Client.GetStreamProvider(ChatStreams.Provider)
            .GetStream<ConversationEvent>(StreamId.Create(ChatStreams.ConversationNamespace, key));
        var handle = await stream.SubscribeAsync((e, _) =>
        {
            if (e.Kind != ConversationEventKind.MessagePosted) return Task.CompletedTask;
            lock (seen)
            {
                seen.Add(e.Message!.Seq);
                if (seen.Count == 5) all.TrySetResult();
            }
            return Task.CompletedTask;
        });
        for (var i = 1; i <= 5; i++) await conversation.Send(Visitor, $"c{i}", $"m{i}");
        await all.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await handle.UnsubscribeAsync();
        Assert.Equal([1, 2, 3, 4, 5], seen);
    }

    [Fact]
    public async Task The_tenant_inbox_lists_live_conversations_and_drops_closed_ones()
    {
        var tenant = "inbox-" + Ids.Random(3);
        var key = NewKey(tenant);
        var conversation = fixture.Grains.GetGrain<IConversationGrain>(key);
        await conversation.Start(Visitor, new ConversationContact("Jo", null));
        var inbox = fixture.Grains.GetGrain<ITenantInboxGrain>(tenant);

        await WaitFor(async () => (await inbox.List()).Count == 1);
        await conversation.Close(Agent);
        await WaitFor(async () => (await inbox.List()).Count == 0);
    }

    private static async Task WaitFor(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Condition not met within 10 s.");
            await Task.Delay(20);
        }
    }
}
