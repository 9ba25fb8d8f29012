using System.Threading.Channels;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Sockets;

public sealed partial class ChatConnection
{
    /// <summary>Frames a socket may have in flight before its reader waits (above the burst of the rate limit).</summary>
    private const int MaxFramesInFlight = 64;

    private FrameLanes? lanesOrNull;

    private FrameLanes lanes => lanesOrNull ??= new(MaxFramesInFlight, services.Time, services.Options.MaxDeliveryLag);

    /// <summary>
    /// Hello and ping are handled at once, in order (nothing after a hello may run before its session exists);
    /// every other frame runs in its conversation's lane, so one slow grain call holds up only its own
    /// conversation (<see cref="FrameLanes"/>).
    /// </summary>
    private Task Handle(ClientFrame frame) => frame is HelloFrame or PingFrame
        ? Dispatch(frame)
        : lanes.Enqueue(FrameLanes.LaneOf(frame), () => DispatchInLane(frame), lifetime.Token, frame is SendFrame ? waited => Behind(frame, waited) : null);

    /// <summary>A send that waited too long behind its conversation's earlier frames: refused, retryable, not run.</summary>
    private Task Behind(ClientFrame frame, TimeSpan waited)
    {
        services.Metrics.SendRefusedBehind();
        Send(new ErrorFrame
        {
            Id = frame.Id,
            Code = ErrorCodes.RateLimited,
            Message = $"The conversation is behind (this send waited {waited.TotalMilliseconds:0} ms for its turn); it was not sent. Retry it with the same clientMessageId.",
            RetryAfterMs = 1000,
        });
        return Task.CompletedTask;
    }

    private async Task DispatchInLane(ClientFrame frame)
    {
        try
        {
            await Dispatch(frame);
        }
        catch (Exception ex) when ((ex is OperationCanceledException or ChannelClosedException) && (lifetime.IsCancellationRequested || closeRequest is not null))
        {
            // the socket closed while the frame was in flight; nobody is left to answer
        }
        catch (Exception ex)
        {
            services.Logger.LogError(ex, "Handling a {Frame} frame failed", frame.Type);
            Send(new ErrorFrame { Id = frame.Id, Code = ErrorCodes.Internal, Message = "The frame could not be handled; the failure is logged. Retry it." });
        }
    }

    /// <summary>Waits (bounded) for frames still in flight when the socket ends, so none runs after the session ended.</summary>
    private async Task FramesHandled()
    {
        var idle = lanes.Idle();
        if (idle.IsCompleted) return;
        await idle.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
