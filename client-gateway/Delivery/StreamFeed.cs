using System.Collections.Concurrent;
using Orleans.Streams;

namespace ChatCluster.Gateway.Delivery;

/// <summary>Something on this gateway that wants what a feed makes of a stream's events (a socket).</summary>
public interface IFeedListener<in TOut>
{
    /// <summary>Called on the stream's delivery path; must not block (queue and return).</summary>
    void OnEvent(string key, TOut item);
}

/// <summary>
/// One Orleans stream subscription per key per gateway, shared by every local socket that listens to
/// it: a thousand agents watching one tenant's inbox cost the cluster one subscriber, not a thousand.
/// </summary>
/// <param name="gate">Builds, per key, what decides when and as what (<typeparamref name="TOut"/>) an event reaches the listeners.</param>
public sealed class StreamFeed<T, TOut>(IClusterClient client, string streamNamespace, ILogger logger, Func<Action<TOut>, IEventGate<T>> gate)
{
    private readonly IClusterClient client = client;
    private readonly string streamNamespace = streamNamespace;
    private readonly ILogger logger = logger;
    private readonly Func<Action<TOut>, IEventGate<T>> gateFactory = gate;
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    public int ActiveSubscriptions => entries.Count;

    /// <summary>Starts delivering the stream's events for <paramref name="key"/> to <paramref name="listener"/>.</summary>
    public async Task<IAsyncDisposable> Listen(string key, IFeedListener<TOut> listener)
    {
        while (true)
        {
            var entry = entries.GetOrAdd(key, k => new Entry(this, k));
            if (!entry.TryAdd(listener)) continue; // lost a race with the entry's teardown; take a fresh one
            try
            {
                await entry.EnsureSubscribed();
            }
            catch
            {
                await entry.Remove(listener);
                throw;
            }
            return new Lease(entry, listener);
        }
    }

    private sealed class Entry
    {
        private readonly StreamFeed<T, TOut> feed;
        private readonly string key;
        private readonly IEventGate<T> eventGate;
        private readonly object gate = new();
        private readonly SemaphoreSlim subscribing = new(1, 1);
        private IFeedListener<TOut>[] listeners = [];
        private StreamSubscriptionHandle<T>? handle;
        private bool retired;

        public Entry(StreamFeed<T, TOut> feed, string key)
        {
            this.feed = feed;
            this.key = key;
            eventGate = feed.gateFactory(Deliver);
        }

        public bool TryAdd(IFeedListener<TOut> listener)
        {
            lock (gate)
            {
                if (retired) return false;
                listeners = [.. listeners, listener];
                return true;
            }
        }

        public async Task EnsureSubscribed()
        {
            if (handle is not null) return;
            await subscribing.WaitAsync();
            try
            {
                if (handle is not null || retired) return;
                var stream = feed.client.GetStreamProvider(ChatStreams.Provider)
                    .GetStream<T>(StreamId.Create(feed.streamNamespace, key));
                handle = await stream.SubscribeAsync(OnNext);
            }
            finally
            {
                subscribing.Release();
            }
        }

        public async Task Remove(IFeedListener<TOut> listener)
        {
            StreamSubscriptionHandle<T>? toDrop = null;
            lock (gate)
            {
                listeners = [.. listeners.Where(l => !ReferenceEquals(l, listener))];
                if (listeners.Length == 0)
                {
                    retired = true;
                    feed.entries.TryRemove(new KeyValuePair<string, Entry>(key, this));
                    toDrop = handle;
                    eventGate.Dispose();
                }
            }
            if (toDrop is null) return;
            try
            {
                await toDrop.UnsubscribeAsync();
            }
            catch (Exception ex)
            {
                feed.logger.LogDebug(ex, "Unsubscribing from {Namespace}/{Key} failed", feed.streamNamespace, key);
            }
        }

        private Task OnNext(T item, StreamSequenceToken? token)
        {
            eventGate.Offer(item);
            return Task.CompletedTask;
        }

        private void Deliver(TOut item)
        {
            foreach (var listener in listeners) listener.OnEvent(key, item);
        }
    }

    private sealed class Lease(Entry entry, IFeedListener<TOut> listener) : IAsyncDisposable
    {
        private int disposed;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref disposed, 1) == 0 ? new ValueTask(entry.Remove(listener)) : ValueTask.CompletedTask;
    }
}
