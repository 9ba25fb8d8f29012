using ChatCluster.Conversations;
using ChatCluster.Gateway.Delivery;
using Microsoft.Extensions.Time.Testing;

namespace ChatCluster.Gateway.Tests;

/// <summary>The inbox feed forwards snapshots that only moved lastSeq at most once per conversation per window, the newest last.</summary>
public sealed class InboxGateTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private readonly List<ConversationSummary> delivered = [];

    private static ConversationSummary Summary(string id, long seq, ConversationStatus status = ConversationStatus.Assigned, string? agent = "a_1") =>
        new(id, "v_1", null, status, agent, seq, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(seq));

    [Fact]
    public void Message_only_snapshots_within_a_window_are_coalesced_and_the_newest_arrives_at_its_end()
    {
        using var gate = new InboxGate(delivered.Add, Window, time);

        gate.Offer(Summary("c_1", 1));
        gate.Offer(Summary("c_1", 2));
        gate.Offer(Summary("c_1", 3));
        Assert.Equal([1L], delivered.Select(s => s.LastSeq));

        time.Advance(Window);
        Assert.Equal([1L, 3L], delivered.Select(s => s.LastSeq));
    }

    [Fact]
    public void Status_assignment_and_close_go_out_at_once()
    {
        using var gate = new InboxGate(delivered.Add, Window, time);

        gate.Offer(Summary("c_1", 1, ConversationStatus.Open, null));
        gate.Offer(Summary("c_1", 1, ConversationStatus.Assigned, "a_1"));
        gate.Offer(Summary("c_1", 2, ConversationStatus.Closed));
        gate.Offer(Summary("c_2", 1));

        Assert.Equal(["c_1", "c_1", "c_1", "c_2"], delivered.Select(s => s.ConversationId));
    }
}
