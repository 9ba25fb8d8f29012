using System.Threading.Channels;
using ChatCluster.Conversations;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Gateway.Sockets;

namespace ChatCluster.Gateway.Delivery;

/// <summary>
/// One socket's delivery and resume order (docs/protocol.md §5): for every conversation the socket follows it keeps
/// the last sequence number sent, sends the next one, drops what was sent already and reads a gap from the
/// conversation's log. Live events come from the gateway's <see cref="ConversationHub"/>; one loop handles them and
/// the socket's follow requests in arrival order, so each socket sees every message once, in order.
/// </summary>
public sealed class ConversationFollower : IConversationListener, IAsyncDisposable
{
    /// <summary>A socket may follow this many conversations at once.</summary>
    public const int MaxWatchedConversations = 100;

    private readonly IFrameSink socket;
    private readonly IGrainFactory grains;
    private readonly ConversationHub hub;
    private readonly DeliveryPressure pressure;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly string tenantId;
    private readonly Participant me;
    private readonly bool hearsStatusFromInbox;
    private readonly Channel<Work> work;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task loop;

    // Touched only by the loop (and by DisposeAsync after it ended).
    private readonly Dictionary<string, Watched> watching = new(StringComparer.Ordinal);

    /// <param name="hearsStatusFromInbox">Agents learn of status changes from their inbox feed; visitors from here.</param>
    public ConversationFollower(IFrameSink socket, IGrainFactory grains, ConversationHub hub, DeliveryPressure pressure, TimeProvider time,
        ILogger logger, string tenantId, Participant me, bool hearsStatusFromInbox, int queueLimit)
    {
        this.socket = socket;
        this.grains = grains;
        this.hub = hub;
        this.pressure = pressure;
        this.time = time;
        this.logger = logger;
        this.tenantId = tenantId;
        this.me = me;
        this.hearsStatusFromInbox = hearsStatusFromInbox;
        // A struct per item: queueing an event for a socket allocates nothing per socket.
        work = Channel.CreateBounded<Work>(new BoundedChannelOptions(queueLimit) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        loop = Task.Run(Loop);
    }

    /// <summary>A followed conversation: the hub lease and the last sequence this socket has been sent.</summary>
    private sealed class Watched(IAsyncDisposable lease)
    {
        public IAsyncDisposable Lease { get; } = lease;
        public long Delivered { get; set; }

        /// <summary>Catch-ups that failed in a row; while above zero a retry is scheduled (<see cref="FollowerRetry"/>).</summary>
        public int FailedCatchUps { get; set; }
    }

    private sealed record WatchRequest(string ConversationId, long AfterSeq, string? RequestId, bool SendHistory)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>One item of the loop: an event batch, a follow request, or a resync of one conversation.</summary>
    private readonly record struct Work(ConversationBatch? Batch, WatchRequest? Watch, string? ResyncKey);

    /// <summary>
    /// Follows a conversation from <paramref name="afterSeq"/> on (sending the history after it when
    /// <paramref name="sendHistory"/>): register first, then read, so no message falls between the two; what was
    /// sent already is dropped. Completes when the history is queued, keeping the socket's frames in order.
    /// </summary>
    public async Task Watch(string conversationId, long afterSeq, string? requestId, bool sendHistory, CancellationToken cancellationToken)
    {
        var request = new WatchRequest(conversationId, afterSeq, requestId, sendHistory);
        await work.Writer.WriteAsync(new Work(null, request, null), cancellationToken);
        await request.Done.Task;
    }

    void IConversationListener.Resync(string conversationKey) => work.Writer.TryWrite(new Work(null, null, conversationKey));

    void IConversationListener.OnEvents(ConversationBatch batch)
    {
        if (!work.Writer.TryWrite(new Work(batch, null, null)) && !stopping.IsCancellationRequested)
            socket.RequestClose(CloseCodes.SlowReader, "reader too slow; reconnect and resume");
    }

    private async Task Loop()
    {
        try
        {
            await foreach (var item in work.Reader.ReadAllAsync(stopping.Token))
            {
                try
                {
                    if (item.Watch is { } watch) await StartWatching(watch);
                    else if (item.Batch is { } batch) await Deliver(batch);
                    else if (item.ResyncKey is { } key) await Resync(key);
                }
                catch (Exception ex) when (item.Watch is { } failed)
                {
                    failed.Done.TrySetException(ex); // the socket answers the frame with an error
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Delivering to a socket failed; the client catches up on resume");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            while (work.Reader.TryRead(out var left)) left.Watch?.Done.TrySetCanceled();
        }
    }

    private IConversationGrain Conversation(string conversationId)
    {
        if (!Ids.IsLocalId(conversationId)) throw ChatRuleException.NotFound($"Conversation '{JsonFrameCodec.Trim(conversationId)}'");
        return grains.GetGrain<IConversationGrain>(GrainKeys.Scoped(tenantId, conversationId));
    }

    private async Task StartWatching(WatchRequest request)
    {
        var conversation = Conversation(request.ConversationId);
        if (!watching.TryGetValue(request.ConversationId, out var watched))
        {
            if (watching.Count >= MaxWatchedConversations)
                throw ChatRuleException.Invalid($"A connection follows at most {MaxWatchedConversations} conversations.");
            // Check access before following: the grain refuses strangers with not_found.
            await conversation.GetHistory(me, long.MaxValue, 1);
            var lease = await hub.Listen(GrainKeys.Scoped(tenantId, request.ConversationId), this);
            watched = new Watched(lease);
            watching[request.ConversationId] = watched;
        }
        var after = request.AfterSeq;
        long lastSeq;
        while (true)
        {
            var page = await conversation.GetHistory(me, after, request.SendHistory ? MessageLimits.MaxHistoryPage : 1);
            lastSeq = page.Conversation.LastSeq;
            // A client can't have seen more than exists: clamp, or live messages up to its number would be skipped.
            after = Math.Min(after, lastSeq);
            if (!request.SendHistory) break;
            socket.Send(Dto.From(page, request.RequestId));
            if (page.Messages.Count > 0) after = page.Messages[^1].Seq;
            if (!page.HasMore) break;
        }
        watched.Delivered = Math.Max(watched.Delivered, after);
        // Messages accepted between the caller's view (afterSeq) and this gateway's registration were pushed to nobody:
        // deliver them from the log now. (A visitor may send on a conversation the moment it hears `started`, before
        // the follow is in place; in cluster mode that window is a network round trip wide.)
        if (lastSeq > watched.Delivered) await CatchUp(request.ConversationId, watched);
        request.Done.TrySetResult();
    }

    private async Task Deliver(ConversationBatch batch)
    {
        for (var i = 0; i < batch.Events.Length; i++)
        {
            var e = batch.Events[i];
            if (!watching.TryGetValue(e.ConversationId, out var watched)) return;
            switch (e.Kind)
            {
                case ConversationEventKind.MessagePosted when e.Message is { } message:
                    if (message.Seq <= watched.Delivered) break;
                    pressure.Observe(time.GetUtcNow() - message.SentAt);
                    if (message.Seq == watched.Delivered + 1)
                    {
                        socket.Send(batch.Frames[i]!);
                        watched.Delivered = message.Seq;
                        break;
                    }
                    // An event went missing: read the gap from the grain (unless a retry of that is already scheduled).
                    if (watched.FailedCatchUps == 0) await CatchUpOrRetry(e.ConversationId, watched);
                    break;
                case ConversationEventKind.Typing when e.Actor is { } who:
                    if (who.Kind == me.Kind && who.Id == me.Id) break;
                    socket.Send(new TypingEventFrame { ConversationId = e.ConversationId, From = Dto.From(who), IsTyping = e.IsTyping });
                    break;
                case ConversationEventKind.Read when batch.Frames[i] is { } read:
                    socket.Send(read);
                    break;
                case ConversationEventKind.StatusChanged when batch.Frames[i] is { } status:
                    if (!hearsStatusFromInbox) socket.Send(status);
                    break;
            }
        }
    }

    private async Task Resync(string conversationKey)
    {
        var (_, conversationId) = GrainKeys.Split(conversationKey);
        if (watching.TryGetValue(conversationId, out var watched)) await CatchUpOrRetry(conversationId, watched);
    }

    /// <summary>
    /// C7: a follower that may have missed events never stays silently behind. A catch-up that fails (the grain's
    /// silo just died, the cluster is slow) is retried with back-off, registering this gateway with the conversation
    /// again before each re-read, until it succeeds; one that keeps failing for <see cref="FollowerRetry.GiveUpAfter"/>
    /// tells the client to reconnect and resume instead.
    /// </summary>
    private async Task CatchUpOrRetry(string conversationId, Watched watched)
    {
        try
        {
            if (watched.FailedCatchUps > 0) await hub.Refollow(GrainKeys.Scoped(tenantId, conversationId));
            await CatchUp(conversationId, watched);
            if (watched.FailedCatchUps > 0)
                logger.LogInformation("Conversation {Conversation} caught up after {Attempts} failed attempts", conversationId, watched.FailedCatchUps);
            watched.FailedCatchUps = 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var attempt = ++watched.FailedCatchUps;
            if (FollowerRetry.GivesUp(attempt))
            {
                logger.LogWarning(ex, "Conversation {Conversation} could not catch up in {Attempts} attempts; asking the client to resume", conversationId, attempt);
                socket.RequestClose(CloseCodes.ServiceRestart, "behind; reconnect and resume", new ReconnectFrame
                {
                    Reason = "This connection may have missed messages and could not catch up; reconnect and resume.",
                    AfterMs = Random.Shared.Next(100, 2000),
                });
                return;
            }
            if (attempt == 1) logger.LogWarning(ex, "Catching up conversation {Conversation} failed; retrying", conversationId);
            else logger.LogDebug(ex, "Catching up conversation {Conversation} failed again (attempt {Attempt})", conversationId, attempt);
            _ = RetryLater(GrainKeys.Scoped(tenantId, conversationId), FollowerRetry.Delay(attempt));
        }
    }

    private async Task RetryLater(string conversationKey, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, time, stopping.Token);
            work.Writer.TryWrite(new Work(null, null, conversationKey));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CatchUp(string conversationId, Watched watched)
    {
        var conversation = Conversation(conversationId);
        while (true)
        {
            var page = await conversation.GetHistory(me, watched.Delivered, MessageLimits.MaxHistoryPage);
            foreach (var message in page.Messages)
            {
                socket.Send(Dto.From(conversationId, message));
                watched.Delivered = message.Seq;
            }
            if (!page.HasMore) return;
        }
    }

    /// <summary>Stops the loop and leaves every followed conversation.</summary>
    public async ValueTask DisposeAsync()
    {
        work.Writer.TryComplete();
        await stopping.CancelAsync();
        await loop;
        foreach (var watched in watching.Values) await watched.Lease.DisposeAsync();
        watching.Clear();
        stopping.Dispose();
    }
}
