using ChatCluster.Conversations;
using ChatCluster.Gateway.Delivery;
using ChatCluster.Gateway.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace ChatCluster.Gateway.Tests;

/// <summary>
/// The inbox feed sends status changes at once and coalesces snapshots that only moved lastSeq into one inbox frame
/// per window for all conversations, the latest of each winning (issue 13: inbox frames do not grow with busy conversations).
/// </summary>
public sealed class InboxGateTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(500);
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private readonly List<ServerFrame> delivered = [];

    private static ConversationSummary Summary(string id, long seq, ConversationStatus status = ConversationStatus.Assigned, string? agent = "a_1") =>
        new(id, "v_1", null, status, agent, seq, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(seq));

    private List<(string Id, long Seq)> Inbox(int frame) =>
        [.. ((InboxFrame)delivered[frame]).Conversations.Select(c => (c.ConversationId, c.LastSeq))];

    [Fact]
    public void Message_only_snapshots_within_a_window_arrive_as_one_inbox_frame_with_the_newest_of_each()
    {
        using var gate = new InboxGate(delivered.Add, Window, time);
        gate.Offer(Summary("c_1", 1));
        gate.Offer(Summary("c_2", 1));
        Assert.Equal(2, delivered.Count); // both new: conversation frames at once

        gate.Offer(Summary("c_1", 2));
        gate.Offer(Summary("c_1", 3));
        gate.Offer(Summary("c_2", 2));
        Assert.Equal(2, delivered.Count);

        time.Advance(Window);
        Assert.Equal(3, delivered.Count);
        Assert.Equal([("c_1", 3L), ("c_2", 2L)], Inbox(2).OrderBy(c => c.Id));
    }

    [Fact]
    public void A_hundred_busy_conversations_cost_one_inbox_frame_per_window()
    {
        using var gate = new InboxGate(delivered.Add, Window, time);
        for (var c = 0; c < 100; c++) gate.Offer(Summary($"c_{c}", 1));
        delivered.Clear();

        for (var round = 0; round < 3; round++)
        {
            for (var seq = 2; seq < 12; seq++)
                for (var c = 0; c < 100; c++) gate.Offer(Summary($"c_{c}", seq + round * 10));
            time.Advance(Window);
        }

        Assert.Equal(3, delivered.Count);
        Assert.All(delivered, f => Assert.Equal(100, ((InboxFrame)f).Conversations.Count));
        Assert.All(Inbox(2), c => Assert.Equal(31L, c.Seq));
    }

    [Fact]
    public void Status_assignment_and_close_go_out_at_once_and_replace_what_was_held_back()
    {
        using var gate = new InboxGate(delivered.Add, Window, time);

        gate.Offer(Summary("c_1", 1, ConversationStatus.Open, null));
        gate.Offer(Summary("c_1", 2, ConversationStatus.Open, null)); // held back
        gate.Offer(Summary("c_1", 2, ConversationStatus.Assigned, "a_1"));
        gate.Offer(Summary("c_1", 3, ConversationStatus.Closed));
        gate.Offer(Summary("c_2", 1));
        time.Advance(Window);

        Assert.All(delivered, f => Assert.IsType<ConversationEventFrame>(f));
        Assert.Equal(["c_1", "c_1", "c_1", "c_2"], delivered.Select(f => ((ConversationEventFrame)f).Conversation.ConversationId));
    }

    [Fact]
    public void A_zero_window_sends_every_snapshot()
    {
        using var gate = new InboxGate(delivered.Add, TimeSpan.Zero, time);
        gate.Offer(Summary("c_1", 1));
        gate.Offer(Summary("c_1", 2));
        Assert.Equal([1L, 2L], delivered.Select(f => ((ConversationEventFrame)f).Conversation.LastSeq));
    }
}
