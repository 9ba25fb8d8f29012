using System.Threading.Channels;
using ChatCluster.Conversations;
using ChatCluster.Gateway.Delivery;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Sockets;

public sealed partial class ChatConnection : IFeedListener<ConversationEvent>, IFeedListener<ConversationSummary>
{
    /// <summary>A socket may follow this many conversations at once.</summary>
    public const int MaxWatchedConversations = 100;

    private readonly Channel<DeliveryWork> deliveries;

    // Touched only by the delivery loop (and by EndSession after that loop ended).
    private readonly Dictionary<string, Watched> watching = new(StringComparer.Ordinal);

    /// <summary>A followed conversation: the feed lease and the last sequence this socket has been sent.</summary>
    private sealed class Watched(IAsyncDisposable lease, long delivered)
    {
        public IAsyncDisposable Lease { get; } = lease;
        public long Delivered { get; set; } = delivered;

        /// <summary>Catch-ups that failed in a row; while above zero a retry is scheduled (<see cref="FollowerRetry"/>).</summary>
        public int FailedCatchUps { get; set; }
    }

    private abstract record DeliveryWork;

    private sealed record WatchWork(string ConversationId, long AfterSeq, string? RequestId, bool SendHistory, TaskCompletionSource Done) : DeliveryWork;

    private sealed record EventWork(ConversationEvent Event) : DeliveryWork;

    private sealed record ResyncWork : DeliveryWork;

    private sealed record CatchUpWork(string ConversationId) : DeliveryWork;

    /// <summary>Asks the delivery loop to catch up every followed conversation from the log.</summary>
    public void Resync() => deliveries.Writer.TryWrite(new ResyncWork());

    void IFeedListener<ConversationEvent>.OnEvent(string key, ConversationEvent item)
    {
        if (!deliveries.Writer.TryWrite(new EventWork(item)) && !lifetime.IsCancellationRequested)
            RequestClose(CloseCodes.SlowReader, "reader too slow; reconnect and resume");
    }

    void IFeedListener<ConversationSummary>.OnEvent(string key, ConversationSummary item) =>
        Send(new ConversationEventFrame { Conversation = Dto.From(item) });

    /// <summary>
    /// Follows a conversation from <paramref name="afterSeq"/> on: subscribe first, then send the history,
    /// so no message falls between the two; the delivery loop drops what was already sent.
    /// </summary>
    private async Task Watch(Session s, string conversationId, long afterSeq, string? requestId, bool sendHistory)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await deliveries.Writer.WriteAsync(new WatchWork(conversationId, afterSeq, requestId, sendHistory, done), lifetime.Token);
        await done.Task; // keeps frames of one connection in order: the next frame waits for this history
    }

    private async Task DeliveryLoop()
    {
        try
        {
            await foreach (var work in deliveries.Reader.ReadAllAsync(lifetime.Token))
            {
                switch (work)
                {
                    case WatchWork watch:
                        try
                        {
                            await StartWatching(watch);
                            watch.Done.TrySetResult();
                        }
                        catch (Exception ex)
                        {
                            watch.Done.TrySetException(ex);
                        }
                        break;
                    case ResyncWork:
                        foreach (var (conversationId, watched) in watching)
                        {
                            if (watched.FailedCatchUps == 0) await CatchUpOrRetry(conversationId, watched);
                        }
                        break;
                    case CatchUpWork retry:
                        if (watching.TryGetValue(retry.ConversationId, out var behind)) await CatchUpOrRetry(retry.ConversationId, behind, retrying: true);
                        break;
                    case EventWork e:
                        try
                        {
                            await Deliver(e.Event);
                        }
                        catch (Exception ex) when (ex is not OperationCanceledException)
                        {
                            services.Logger.LogWarning(ex, "Delivering a {Kind} event failed; the client will catch up on resume", e.Event.Kind);
                        }
                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            while (deliveries.Reader.TryRead(out var left))
                if (left is WatchWork w) w.Done.TrySetCanceled();
        }
    }

    private async Task StartWatching(WatchWork work)
    {
        var s = session!;
        var conversation = Conversation(work.ConversationId);
        if (!watching.TryGetValue(work.ConversationId, out var watched))
        {
            if (watching.Count >= MaxWatchedConversations)
                throw ChatRuleException.Invalid($"A connection follows at most {MaxWatchedConversations} conversations.");
            // Check access before subscribing: the grain refuses strangers with not_found.
            await conversation.GetHistory(s.Me, long.MaxValue, 1);
            var lease = await services.Feeds.Conversations.Listen(GrainKeys.Scoped(s.TenantId, work.ConversationId), this);
            watched = new Watched(lease, 0);
            watching[work.ConversationId] = watched;
        }
        var after = work.AfterSeq;
        while (true)
        {
            var page = await conversation.GetHistory(s.Me, after, work.SendHistory ? MessageLimits.MaxHistoryPage : 1);
            // A client can't have seen more than exists: clamp, or live messages up to its number would be skipped.
            after = Math.Min(after, page.Conversation.LastSeq);
            if (!work.SendHistory) break;
            Send(Dto.From(page, work.RequestId));
            if (page.Messages.Count > 0) after = page.Messages[^1].Seq;
            if (!page.HasMore) break;
        }
        watched.Delivered = Math.Max(watched.Delivered, after);
    }

    private async Task Deliver(ConversationEvent e)
    {
        if (session is not { } s || !watching.TryGetValue(e.ConversationId, out var watched)) return;
        switch (e.Kind)
        {
            case ConversationEventKind.MessagePosted when e.Message is { } message:
                if (message.Seq <= watched.Delivered) return;
                if (message.Seq == watched.Delivered + 1)
                {
                    Send(Dto.From(e.ConversationId, message));
                    watched.Delivered = message.Seq;
                    return;
                }
                // An event went missing: read the gap from the grain (unless a retry of that is already scheduled).
                if (watched.FailedCatchUps == 0) await CatchUpOrRetry(e.ConversationId, watched);
                return;
            case ConversationEventKind.Typing when e.Actor is { } who:
                if (who.Kind == s.Me.Kind && who.Id == s.Me.Id) return;
                Send(new TypingEventFrame { ConversationId = e.ConversationId, From = Dto.From(who), IsTyping = e.IsTyping });
                return;
            case ConversationEventKind.Read when e.Actor is { } reader:
                Send(new ReadEventFrame { ConversationId = e.ConversationId, Reader = Dto.From(reader), Seq = e.ReadSeq });
                return;
            case ConversationEventKind.StatusChanged when e.Summary is { } summary:
                if (s.IsAgent) return; // agents hear of status changes through their inbox feed
                Send(new ConversationEventFrame { Conversation = Dto.From(summary), By = e.Actor is null ? null : Dto.From(e.Actor) });
                return;
        }
    }

    /// <summary>
    /// C7: a follower that may have missed events never stays silently behind. A catch-up that fails (the grain's
    /// silo just died, the cluster is slow) is retried with back-off until it succeeds; one that keeps failing for
    /// <see cref="FollowerRetry.GiveUpAfter"/> tells the client to reconnect and resume instead.
    /// </summary>
    private async Task CatchUpOrRetry(string conversationId, Watched watched, bool retrying = false)
    {
        if (session is not { } s) return;
        if (retrying && watched.FailedCatchUps == 0) return; // caught up meanwhile through a live event
        try
        {
            await CatchUp(s, conversationId, watched);
            if (watched.FailedCatchUps > 0)
                services.Logger.LogInformation("Conversation {Conversation} caught up after {Attempts} failed attempts", conversationId, watched.FailedCatchUps);
            watched.FailedCatchUps = 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var attempt = ++watched.FailedCatchUps;
            if (FollowerRetry.GivesUp(attempt))
            {
                services.Logger.LogWarning(ex, "Conversation {Conversation} could not catch up in {Attempts} attempts; asking the client to resume", conversationId, attempt);
                RequestClose(CloseCodes.ServiceRestart, "behind; reconnect and resume", new ReconnectFrame
                {
                    Reason = "This connection may have missed messages and could not catch up; reconnect and resume.",
                    AfterMs = Random.Shared.Next(100, 2000),
                });
                return;
            }
            if (attempt == 1) services.Logger.LogWarning(ex, "Catching up conversation {Conversation} failed; retrying", conversationId);
            else services.Logger.LogDebug(ex, "Catching up conversation {Conversation} failed again (attempt {Attempt})", conversationId, attempt);
            _ = RetryLater(conversationId, FollowerRetry.Delay(attempt));
        }
    }

    private async Task RetryLater(string conversationId, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, services.Time, lifetime.Token);
            deliveries.Writer.TryWrite(new CatchUpWork(conversationId));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CatchUp(Session s, string conversationId, Watched watched)
    {
        var conversation = Conversation(conversationId);
        while (true)
        {
            var page = await conversation.GetHistory(s.Me, watched.Delivered, MessageLimits.MaxHistoryPage);
            foreach (var message in page.Messages)
            {
                Send(Dto.From(conversationId, message));
                watched.Delivered = message.Seq;
            }
            if (!page.HasMore) return;
        }
    }
}
