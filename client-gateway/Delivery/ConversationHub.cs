using System.Collections.Concurrent;
using ChatCluster.Conversations;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Delivery;

/// <summary>A socket's part in delivery: it takes a conversation's events off the hub without blocking it.</summary>
public interface IConversationListener
{
    /// <summary>Called on the hub's delivery path; must not block (queue and return).</summary>
    void OnEvents(ConversationBatch batch);

    /// <summary>The gateway may have missed events of <paramref name="conversationKey"/>: read the gap from the log.</summary>
    void Resync(string conversationKey);
}

/// <summary>
/// One conversation event batch as it reached this gateway, with the frames that every socket sends alike built
/// once: fanning out to a thousand sockets allocates per message, not per socket. A null frame is an event that
/// each socket decides on itself (typing, filtered by sender) or sends no frame for.
/// </summary>
public sealed class ConversationBatch(string conversationKey, ConversationEvent[] events)
{
    public string ConversationKey { get; } = conversationKey;
    public ConversationEvent[] Events { get; } = events;
    public ServerFrame?[] Frames { get; } = [.. events.Select(SharedFrame)];

    private static ServerFrame? SharedFrame(ConversationEvent e) => (e switch
    {
        { Kind: ConversationEventKind.MessagePosted, Message: { } message } => Dto.From(e.ConversationId, message),
        { Kind: ConversationEventKind.Read, Actor: { } reader } => new ReadEventFrame { ConversationId = e.ConversationId, Reader = Dto.From(reader), Seq = e.ReadSeq },
        { Kind: ConversationEventKind.StatusChanged, Summary: { } summary } =>
            new ConversationEventFrame { Conversation = Dto.From(summary), By = e.Actor is null ? null : Dto.From(e.Actor) },
        _ => (ServerFrame?)null,
    })?.Share();
}

/// <summary>
/// The gateway's side of push delivery (C5), shaped like SignalR's HubLifetimeManager groups and GPSTracker's hub:
/// this gateway is one <see cref="IConversationObserver"/>, registered once with each conversation that at least one
/// local socket follows, whatever the number of such sockets. The conversation pushes each event batch here once;
/// the hub hands it to the local followers. Registrations expire in the grain unless refreshed
/// (<see cref="Refresh"/>, driven by <see cref="FollowRefresher"/>), so a dead gateway ages out by itself.
/// </summary>
public sealed class ConversationHub(IGrainFactory grains, ILogger<ConversationHub> logger) : IConversationObserver
{
    private readonly ConcurrentDictionary<string, Group> groups = new(StringComparer.Ordinal);
    private readonly ILogger logger = logger;
    private readonly object referenceGate = new();
    private IConversationObserver? reference;

    /// <summary>Conversations this gateway follows now.</summary>
    public int Following => groups.Count;

    /// <summary>This gateway as the grains address it (created once; the hub is a singleton, so Orleans' weak reference stays alive).</summary>
    internal IConversationObserver Reference
    {
        get
        {
            lock (referenceGate) return reference ??= grains.CreateObjectReference<IConversationObserver>(this);
        }
    }

    Task IConversationObserver.OnEvents(string conversationKey, ConversationEvent[] events)
    {
        if (events.Length > 0 && groups.TryGetValue(conversationKey, out var group)) group.Deliver(new ConversationBatch(conversationKey, events));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Starts delivering <paramref name="conversationKey"/>'s events to <paramref name="listener"/>; when this returns,
    /// the conversation knows this gateway, so anything it accepts from now on reaches the listener.
    /// </summary>
    public async Task<IAsyncDisposable> Listen(string conversationKey, IConversationListener listener)
    {
        while (true)
        {
            var group = groups.GetOrAdd(conversationKey, key => new Group(this, key));
            if (!group.TryAdd(listener))
            {
                await group.Gone; // it is unfollowing: register afresh once that is done, never before
                continue;
            }
            try
            {
                await group.EnsureFollowing();
            }
            catch
            {
                group.Remove(listener);
                throw;
            }
            return new Lease(group, listener);
        }
    }

    /// <summary>
    /// Refreshes every registration of this gateway. A conversation that had lost it (it was reactivated, e.g. after
    /// its silo went away) registers it anew, and the local followers read what they may have missed from its log.
    /// A conversation no local socket follows any more is unfollowed here, not when its last socket leaves: a socket
    /// that reconnects within the interval finds the registration still in place.
    /// </summary>
    public async Task Refresh(CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(groups.Values, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (group, _) =>
        {
            try
            {
                if (group.TryRetire()) await group.Unfollow();
                else if (!await group.Follow()) group.Resync();
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or ChatRuleException)
            {
                logger.LogDebug(ex, "Refreshing the follow of {Conversation} failed; trying again next round", group.Key);
            }
        });
    }

    /// <summary>
    /// Registers this gateway with one conversation again (its grain may have been reactivated on another silo without
    /// the registration); a follower calls it before re-reading the log after a failed catch-up, so nothing can fall
    /// between the registration and the read.
    /// </summary>
    public async Task Refollow(string key)
    {
        if (groups.TryGetValue(key, out var group)) await group.Follow();
    }

    /// <summary>After a cluster change: register again everywhere and let every follower catch up from the logs.</summary>
    public async Task RefollowAll(CancellationToken cancellationToken)
    {
        await Refresh(cancellationToken);
        foreach (var group in groups.Values) group.Resync();
    }

    private IConversationGrain Conversation(string key) => grains.GetGrain<IConversationGrain>(key);

    private sealed class Group(ConversationHub hub, string key)
    {
        private readonly object gate = new();
        private readonly SemaphoreSlim following = new(1, 1);
        private readonly TaskCompletionSource gone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private IConversationListener[] listeners = [];
        private bool followed;
        private bool retired;

        public string Key => key;

        /// <summary>Completes once a retired group has unfollowed and left the hub.</summary>
        public Task Gone => gone.Task;

        public bool TryAdd(IConversationListener listener)
        {
            lock (gate)
            {
                if (retired) return false;
                listeners = [.. listeners, listener];
                return true;
            }
        }

        public void Deliver(ConversationBatch batch)
        {
            foreach (var listener in Volatile.Read(ref listeners)) listener.OnEvents(batch);
        }

        public void Resync()
        {
            foreach (var listener in Volatile.Read(ref listeners)) listener.Resync(key);
        }

        public Task<bool> Follow() => hub.Conversation(key).Follow(hub.Reference);

        public async Task EnsureFollowing()
        {
            if (Volatile.Read(ref followed)) return;
            await following.WaitAsync();
            try
            {
                if (followed || retired) return;
                await Follow();
                Volatile.Write(ref followed, true);
            }
            finally
            {
                following.Release();
            }
        }

        public void Remove(IConversationListener listener)
        {
            lock (gate) listeners = [.. listeners.Where(l => !ReferenceEquals(l, listener))];
        }

        /// <summary>Retires the group when no local socket follows it; from then on new listeners wait for <see cref="Gone"/>.</summary>
        public bool TryRetire()
        {
            lock (gate)
            {
                if (listeners.Length > 0) return false;
                retired = true;
                return true;
            }
        }

        public async Task Unfollow()
        {
            try
            {
                if (followed) await hub.Conversation(key).Unfollow(hub.Reference);
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException)
            {
                // The registration expires in the grain by itself.
                hub.logger.LogDebug(ex, "Unfollowing {Conversation} failed", key);
            }
            finally
            {
                hub.groups.TryRemove(new KeyValuePair<string, Group>(key, this));
                gone.TrySetResult();
            }
        }
    }

    private sealed class Lease(Group group, IConversationListener listener) : IAsyncDisposable
    {
        private int disposed;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) group.Remove(listener);
            return ValueTask.CompletedTask;
        }
    }
}
