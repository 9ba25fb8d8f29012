using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Sockets;

/// <summary>
/// Lets one socket's frames proceed independently per conversation (C7): a send to a conversation whose grain is
/// stuck (its silo just died, and the call waits for the response timeout) must not hold up typing, read marks,
/// sends to other conversations or pings on the same socket. Frames of one conversation still run one after
/// another, in the order they arrived, so its sends keep their order; frames that name no conversation share
/// one lane. At most <c>maxInFlight</c> frames are pending per socket; beyond that the reader waits, so a socket
/// cannot pile up work on the gateway. A frame queued with an <c>expired</c> answer (a send) that waited longer
/// than <c>maxWait</c> for its turn gets that answer instead of running: behind a slow conversation (an overloaded
/// database) a send waits a bounded time and is then refused with a retryable error, never acknowledged seconds
/// late (issue 12 item 4).
/// </summary>
public sealed class FrameLanes(int maxInFlight, TimeProvider? time = null, TimeSpan? maxWait = null)
{
    private readonly TimeProvider clock = time ?? TimeProvider.System;

    private readonly object gate = new();
    private readonly Dictionary<string, Task> tails = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim slots = new(maxInFlight, maxInFlight);

    /// <summary>The lane of a frame: its conversation, or the shared lane for frames without one.</summary>
    public static string LaneOf(ClientFrame frame) => frame switch
    {
        SendFrame f => f.ConversationId,
        TypingFrame f => f.ConversationId,
        ReadFrame f => f.ConversationId,
        ResumeFrame f => f.ConversationId,
        JoinFrame f => f.ConversationId,
        CloseFrame f => f.ConversationId,
        RateFrame f => f.ConversationId,
        TransferFrame f => f.ConversationId,
        ConfirmTranscriptFrame f => f.ConversationId,
        _ => null,
    } ?? "";

    /// <summary>Queues <paramref name="work"/> behind the earlier work of its lane; returns once it is queued, not done.</summary>
    public async Task Enqueue(string lane, Func<Task> work, CancellationToken cancellation, Func<TimeSpan, Task>? expired = null)
    {
        await slots.WaitAsync(cancellation);
        var queuedAt = clock.GetTimestamp();
        Task run;
        lock (gate)
        {
            var previous = tails.GetValueOrDefault(lane);
            run = expired is null || maxWait is not { } limit || previous is null || previous.IsCompleted
                ? After(previous, work)
                : After(previous, () => clock.GetElapsedTime(queuedAt) is var waited && waited > limit ? expired(waited) : work());
            tails[lane] = run;
        }
        _ = run.ContinueWith(done =>
        {
            lock (gate)
            {
                if (tails.TryGetValue(lane, out var tail) && ReferenceEquals(tail, done)) tails.Remove(lane);
            }
            slots.Release();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Completes when every frame queued so far has been handled.</summary>
    public Task Idle()
    {
        lock (gate) return Task.WhenAll(tails.Values);
    }

    private static async Task After(Task? previous, Func<Task> work)
    {
        if (previous is not null) await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await work(); // work handles its own failures (Dispatch answers with error frames)
    }
}
