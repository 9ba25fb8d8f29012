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
    public async Task Every_accepted_message_is_pushed_to_a_following_gateway_in_order()
    {
        var conversation = Started(out var key);
        await conversation.Start(Visitor, new ConversationContact(null, null));
        var gateway = new RecordingGateway(ConversationEventKind.MessagePosted, expected: 5);
        var reference = fixture.Cluster.Client.CreateObjectReference<IConversationObserver>(gateway);
        Assert.False(await conversation.Follow(reference)); // a new registration

        for (var i = 1; i <= 5; i++) await conversation.Send(Visitor, $"c{i}", $"m{i}");
        await gateway.All.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([1, 2, 3, 4, 5], gateway.Seqs);
        Assert.All(gateway.Keys, k => Assert.Equal(key, k));

        Assert.True(await conversation.Follow(reference)); // a refresh of a known registration
        await conversation.Unfollow(reference);
        await conversation.Send(Visitor, "c6", "not pushed");
        await conversation.SetTyping(Visitor, true); // would arrive after c6 if anything were still pushed
        await Task.Delay(200);
        Assert.Equal(5, gateway.Seqs.Count);
    }

    [Fact]
    public async Task An_agent_reply_that_claims_the_conversation_reaches_a_gateway_as_one_batch()
    {
        var conversation = Started(out _);
        await conversation.Start(Visitor, new ConversationContact(null, null));
        var gateway = new RecordingGateway(ConversationEventKind.MessagePosted, expected: 1);
        await conversation.Follow(fixture.Cluster.Client.CreateObjectReference<IConversationObserver>(gateway));

        await conversation.Send(Agent, "a1", "Hello, I'm here.");
        await gateway.All.WaitAsync(TimeSpan.FromSeconds(10));
        var batch = Assert.Single(gateway.Batches);
        Assert.Equal([ConversationEventKind.StatusChanged, ConversationEventKind.MessagePosted], batch.Select(e => e.Kind));
    }

    [Fact]
    public async Task A_reactivated_conversation_has_forgotten_its_gateways_and_says_so_on_the_next_refresh()
    {
        var conversation = Started(out _);
        await conversation.Start(Visitor, new ConversationContact(null, null));
        var reference = fixture.Cluster.Client.CreateObjectReference<IConversationObserver>(new RecordingGateway(ConversationEventKind.MessagePosted, 1));
        await conversation.Follow(reference);
        await fixture.Cluster.DeactivateAsync(conversation);
        Assert.False(await conversation.Follow(reference)); // the gateway then reads the gap from the log
    }

    [Fact]
    public async Task A_burst_of_messages_reaches_the_tenant_inbox_as_a_few_reports_with_the_latest_state()
    {
        var tenant = "burst-" + Ids.Random(3);
        var conversation = fixture.Grains.GetGrain<IConversationGrain>(NewKey(tenant));
        var reports = new List<ConversationSummary>();
        var stream = fixture.Cluster.Client.GetStreamProvider(ChatStreams.Provider)
            .GetStream<ConversationSummary>(StreamId.Create(ChatStreams.InboxNamespace, tenant));
        var handle = await stream.SubscribeAsync((summary, _) =>
        {
            lock (reports) reports.Add(summary);
            return Task.CompletedTask;
        });
        await conversation.Start(Visitor, new ConversationContact(null, null));
        for (var i = 1; i <= 30; i++) await conversation.Send(Visitor, $"c{i}", $"m{i}");

        await WaitFor(() => Task.FromResult(Reports().Any(r => r.LastSeq == 30)));
        await handle.UnsubscribeAsync();
        // The start (a status change) at once, then at most one activity report per 400 ms tick, not one per message.
        Assert.InRange(Reports().Count, 2, 5);
        Assert.Equal(30, (await fixture.Grains.GetGrain<ITenantInboxGrain>(tenant).List()).Single().LastSeq);

        List<ConversationSummary> Reports()
        {
            lock (reports) return [.. reports];
        }
    }

    /// <summary>A gateway's observer as the grain sees it: records every pushed batch.</summary>
    private sealed class RecordingGateway(ConversationEventKind kind, int expected) : IConversationObserver
    {
        private readonly TaskCompletionSource all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int counted;

        public List<long> Seqs { get; } = [];
        public List<string> Keys { get; } = [];
        public List<ConversationEvent[]> Batches { get; } = [];
        public Task All => all.Task;

        public Task OnEvents(string conversationKey, ConversationEvent[] events)
        {
            lock (Seqs)
            {
                Batches.Add(events);
                Keys.Add(conversationKey);
                foreach (var e in events.Where(e => e.Kind == kind))
                {
                    if (e.Message is { } m) Seqs.Add(m.Seq);
                    if (++counted == expected) all.TrySetResult();
                }
            }
            return Task.CompletedTask;
        }
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
