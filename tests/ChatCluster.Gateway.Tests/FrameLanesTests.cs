using ChatCluster.Gateway.Sockets;
using Microsoft.Extensions.Time.Testing;

namespace ChatCluster.Gateway.Tests;

/// <summary>C7: one slow grain call holds up only its own conversation's frames, never the rest of the socket.</summary>
public sealed class FrameLanesTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_stuck_frame_holds_up_only_later_frames_of_its_own_conversation()
    {
        var lanes = new FrameLanes(maxInFlight: 8);
        var stuck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var order = new List<string>();
        var otherDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await lanes.Enqueue("c1", async () => { await stuck.Task; lock (order) order.Add("c1 first"); }, CancellationToken.None);
        await lanes.Enqueue("c1", () => { lock (order) order.Add("c1 second"); return Task.CompletedTask; }, CancellationToken.None);
        await lanes.Enqueue("c2", () => { lock (order) order.Add("c2"); otherDone.SetResult(); return Task.CompletedTask; }, CancellationToken.None);

        await otherDone.Task.WaitAsync(Within);
        lock (order) Assert.Equal(["c2"], order);

        stuck.SetResult();
        await lanes.Idle().WaitAsync(Within);
        Assert.Equal(["c2", "c1 first", "c1 second"], order);
    }

    [Fact]
    public async Task A_send_that_waited_longer_than_the_bound_behind_a_slow_frame_gets_its_refusal_and_does_not_run()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var lanes = new FrameLanes(maxInFlight: 8, time, maxWait: TimeSpan.FromSeconds(2));
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outcome = new List<string>();

        await lanes.Enqueue("c1", () => slow.Task, CancellationToken.None);
        await lanes.Enqueue("c1", () => { lock (outcome) outcome.Add("late send ran"); return Task.CompletedTask; }, CancellationToken.None,
            waited => { lock (outcome) outcome.Add($"late send refused after {waited.TotalSeconds:0} s"); return Task.CompletedTask; });
        await lanes.Enqueue("c1", () => { lock (outcome) outcome.Add("typing ran"); return Task.CompletedTask; }, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(3));
        slow.SetResult();
        await lanes.Idle().WaitAsync(Within);

        // A frame without a refusal (typing, read, close) still runs, late; a send is refused, not acknowledged late.
        Assert.Equal(["late send refused after 3 s", "typing ran"], outcome);

        // Within the bound, and on an idle lane, a send runs.
        var quick = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await lanes.Enqueue("c1", () => quick.Task, CancellationToken.None);
        await lanes.Enqueue("c1", () => { lock (outcome) outcome.Add("prompt send ran"); return Task.CompletedTask; }, CancellationToken.None,
            _ => { lock (outcome) outcome.Add("prompt send refused"); return Task.CompletedTask; });
        time.Advance(TimeSpan.FromSeconds(1));
        quick.SetResult();
        await lanes.Idle().WaitAsync(Within);
        Assert.Equal("prompt send ran", outcome[^1]);
    }

    [Fact]
    public async Task A_failed_frame_does_not_stop_its_lane()
    {
        var lanes = new FrameLanes(maxInFlight: 8);
        var ran = false;
        await lanes.Enqueue("c1", () => Task.FromException(new InvalidOperationException("boom")), CancellationToken.None);
        await lanes.Enqueue("c1", () => { ran = true; return Task.CompletedTask; }, CancellationToken.None);
        await lanes.Idle().WaitAsync(Within);
        Assert.True(ran);
    }

    [Fact]
    public async Task The_reader_waits_once_a_socket_has_the_most_frames_in_flight()
    {
        var lanes = new FrameLanes(maxInFlight: 2);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await lanes.Enqueue("c1", () => release.Task, CancellationToken.None);
        await lanes.Enqueue("c2", () => release.Task, CancellationToken.None);

        var third = lanes.Enqueue("c3", () => Task.CompletedTask, CancellationToken.None);
        await Task.Delay(100);
        Assert.False(third.IsCompleted);

        release.SetResult();
        await third.WaitAsync(Within);
        await lanes.Idle().WaitAsync(Within);
    }

    [Theory]
    [InlineData("send")]
    [InlineData("typing")]
    [InlineData("read")]
    public void A_frame_that_names_a_conversation_runs_in_that_conversations_lane(string type)
    {
        Protocol.ClientFrame frame = type switch
        {
            "send" => new Protocol.SendFrame { ConversationId = "c_a" },
            "typing" => new Protocol.TypingFrame { ConversationId = "c_a" },
            _ => new Protocol.ReadFrame { ConversationId = "c_a" },
        };
        Assert.Equal("c_a", FrameLanes.LaneOf(frame));
        Assert.Equal("", FrameLanes.LaneOf(new Protocol.StartFrame()));
    }
}
