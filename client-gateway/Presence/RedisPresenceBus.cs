using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatCluster.Gateway.Presence;

/// <summary>
/// Presence across gateways through Redis (C4), scoped per tenant (T1):
/// <list type="bullet">
/// <item>each gateway keeps what its own sockets report in a hash
///   <c>chatcluster:presence:{tenant}:gateway:{gatewayId}</c> with a TTL, rewritten by a heartbeat,
///   and is listed in <c>chatcluster:presence:{tenant}:gateways</c> (score: last heartbeat);</item>
/// <item>every change is also published on <c>chatcluster:presence:{tenant}</c> so others see it at once;</item>
/// <item>each heartbeat re-reads the other gateways' hashes, so a gateway that died without a
///   goodbye vanishes within <see cref="RedisOptions.PresenceTtl"/> + <see cref="RedisOptions.HeartbeatInterval"/>.</item>
/// </list>
/// Local changes apply to the local mirror first and reach Redis from a background writer, so a slow
/// or absent Redis never holds up a socket: chat keeps flowing and presence degrades. When the
/// connection comes back the bus resubscribes and republishes this gateway's presence by itself.
/// </summary>
public sealed class RedisPresenceBus(RedisOptions options, ILogger<RedisPresenceBus> logger) : IPresenceBus, IHostedService, IAsyncDisposable
{
    private const string Prefix = "chatcluster:presence:";

    /// <summary>How often a lost Redis connection is retried (and the client's heartbeat that drives the retries).</summary>
    private const int ReconnectPeriodMs = 500;

    private readonly ConcurrentDictionary<string, PresenceView> views = new(StringComparer.Ordinal);
    private readonly Channel<PresenceEntry> outbox = System.Threading.Channels.Channel.CreateBounded<PresenceEntry>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly SemaphoreSlim heartbeatNow = new(0);
    private readonly CancellationTokenSource stopping = new();
    private ConnectionMultiplexer? redis;
    private Task? writer;
    private Task? heartbeat;
    private int degraded;
    private int announceAfterRestore;

    /// <summary>This gateway's id in Redis keys and messages; new for every process.</summary>
    public string GatewayId { get; } = "gw_" + Ids.Random(8);

    public bool IsConnected => redis?.IsConnected == true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ConfigurationOptions config;
        try
        {
            config = ConfigurationOptions.Parse(options.ConnectionString!);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or RedisConnectionException)
        {
            throw new OptionsValidationException(RedisOptions.ConnectionStringKey, typeof(RedisOptions),
                [$"{RedisOptions.ConnectionStringKey} is not a valid Redis configuration string ({ex.Message}); expected e.g. 127.0.0.1:6379"]);
        }
        config.ClientName = "chatcluster-" + GatewayId;
        config.AbortOnConnectFail = true; // only for this first connect: a gateway must not start on a wrong address
        // Reconnect within about a second of Redis coming back (the default backs off to ~10 s), C7.
        config.ReconnectRetryPolicy = new LinearRetry(ReconnectPeriodMs);
        config.HeartbeatInterval = TimeSpan.FromMilliseconds(ReconnectPeriodMs);
        try
        {
            redis = await ConnectionMultiplexer.ConnectAsync(config).WaitAsync(cancellationToken);
        }
        catch (RedisConnectionException ex)
        {
            throw new OptionsValidationException(RedisOptions.ConnectionStringKey, typeof(RedisOptions),
                [$"Could not connect to Redis at {string.Join(",", config.EndPoints)} using {RedisOptions.ConnectionStringKey} (env ChatCluster__Redis__ConnectionString): {ex.Message}"]);
        }
        redis.ConnectionFailed += (_, e) =>
        {
            // What other gateways reported can no longer be refreshed: presence is unknown rather than stale.
            foreach (var view in views.Values) view.SetComplete(false);
            Degrade(e.Exception, $"Redis connection lost ({e.FailureType})");
        };
        redis.ConnectionRestored += (_, _) => _ = Task.Run(OnRestored);
        writer = Task.Run(WriteLoop);
        heartbeat = Task.Run(HeartbeatLoop);
        logger.LogInformation("Presence fans out through Redis at {Endpoints} as {Gateway}", string.Join(",", config.EndPoints), GatewayId);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        outbox.Writer.TryComplete();
        if (writer is not null) await writer.WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await stopping.CancelAsync();
        if (heartbeat is not null) await heartbeat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Goodbye();
    }

    public async ValueTask DisposeAsync()
    {
        if (!stopping.IsCancellationRequested) await stopping.CancelAsync();
        if (redis is not null) await redis.DisposeAsync();
        stopping.Dispose();
    }

    public Task Publish(PresenceEntry entry)
    {
        View(entry.TenantId).Set(GatewayId, entry);
        outbox.Writer.TryWrite(entry);
        return Task.CompletedTask;
    }

    public IReadOnlyCollection<PresenceEntry> Snapshot(string tenantId) => View(tenantId).Snapshot();

    public IDisposable Watch(string tenantId, Action<PresenceEntry> onChange) => View(tenantId).Watch(onChange);

    public bool IsComplete(string tenantId) => View(tenantId).IsComplete;

    /// <summary>Checks Redis with a PING; for <c>/health</c>.</summary>
    public async Task<TimeSpan?> Ping(TimeSpan timeout)
    {
        if (redis is not { IsConnected: true }) return null;
        try
        {
            return await redis.GetDatabase().PingAsync().WaitAsync(timeout);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return null;
        }
    }

    private PresenceView View(string tenantId)
    {
        if (views.TryGetValue(tenantId, out var view)) return view;
        var created = new PresenceView(tenantId, GatewayId, complete: false); // complete once the first sync has read the others
        view = views.GetOrAdd(tenantId, created);
        if (ReferenceEquals(view, created)) _ = Task.Run(() => Join(tenantId));
        return view;
    }

    /// <summary>First interest in a tenant: listen to its channel and read what the other gateways report.</summary>
    private async Task Join(string tenantId)
    {
        try
        {
            await Subscribe(tenantId);
            await Sync(tenantId);
            views[tenantId].SetComplete(true);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Degrade(ex, $"Joining presence of tenant {tenantId} failed; retried on reconnect and heartbeat");
        }
    }

    private async Task Subscribe(string tenantId)
    {
        var subscriber = redis!.GetSubscriber();
        var channel = ChannelOf(tenantId);
        // Unsubscribe first so a resubscription never doubles the handler.
        await subscriber.UnsubscribeAsync(channel, OnMessage);
        await subscriber.SubscribeAsync(channel, OnMessage);
    }

    private void OnMessage(RedisChannel channel, RedisValue payload)
    {
        try
        {
            var wire = JsonSerializer.Deserialize<WireEntry>((string)payload!);
            if (wire is null || wire.Gateway == GatewayId) return;
            var tenantId = ((string)channel!)[Prefix.Length..];
            if (wire.Gone)
            {
                View(tenantId).Replace(wire.Gateway, []);
                return;
            }
            View(tenantId).Set(wire.Gateway, wire.ToEntry(tenantId));
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            logger.LogWarning(ex, "Ignoring a malformed presence message on {Channel}", (string?)channel);
        }
    }

    private async Task WriteLoop()
    {
        await foreach (var entry in outbox.Reader.ReadAllAsync())
        {
            if (redis is not { IsConnected: true }) continue; // the heartbeat after reconnecting republishes everything
            try
            {
                var db = redis.GetDatabase();
                var hash = GatewayKey(entry.TenantId, GatewayId);
                var field = Field(entry.Scope, entry.SubjectId);
                var json = JsonSerializer.Serialize(WireEntry.From(GatewayId, entry));
                var batch = db.CreateBatch();
                var write = entry.Status == PresenceStatus.Offline ? batch.HashDeleteAsync(hash, field) : batch.HashSetAsync(hash, field, json);
                var expire = batch.KeyExpireAsync(hash, options.PresenceTtl);
                var listed = batch.SortedSetAddAsync(GatewaysKey(entry.TenantId), GatewayId, Now());
                var published = batch.PublishAsync(ChannelOf(entry.TenantId), json);
                batch.Execute();
                await Task.WhenAll(write, expire, listed, published).WaitAsync(options.HeartbeatInterval);
                Recovered();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                Degrade(ex, "Publishing presence to Redis failed; it is republished when Redis is back");
            }
        }
    }

    private async Task HeartbeatLoop()
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await heartbeatNow.WaitAsync(options.HeartbeatInterval, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (redis is not { IsConnected: true }) continue;
            var announce = Interlocked.Exchange(ref announceAfterRestore, 0) == 1;
            foreach (var tenantId in views.Keys)
            {
                try
                {
                    await Republish(tenantId);
                    if (announce) await Announce(tenantId);
                    await Sync(tenantId);
                    views[tenantId].SetComplete(true); // a full re-read: what the others report is current again
                    Recovered();
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
                {
                    Degrade(ex, $"Presence heartbeat for tenant {tenantId} failed");
                }
            }
        }
    }

    /// <summary>Rewrites this gateway's whole hash for the tenant (after a Redis restart it is gone) and refreshes its TTL.</summary>
    private async Task Republish(string tenantId)
    {
        var mine = views[tenantId].ReportedBy(GatewayId);
        var db = redis!.GetDatabase();
        var hash = GatewayKey(tenantId, GatewayId);
        var transaction = db.CreateTransaction();
        _ = transaction.KeyDeleteAsync(hash);
        if (mine.Count > 0)
        {
            _ = transaction.HashSetAsync(hash, [.. mine.Select(e => new HashEntry(Field(e.Scope, e.SubjectId), JsonSerializer.Serialize(WireEntry.From(GatewayId, e))))]);
            _ = transaction.KeyExpireAsync(hash, options.PresenceTtl);
            _ = transaction.SortedSetAddAsync(GatewaysKey(tenantId), GatewayId, Now());
        }
        else
        {
            _ = transaction.SortedSetRemoveAsync(GatewaysKey(tenantId), GatewayId);
        }
        await transaction.ExecuteAsync().WaitAsync(options.HeartbeatInterval);
    }

    /// <summary>
    /// After Redis came back: publishes each of this gateway's entries on the channel, so the other gateways have
    /// them at once instead of at their next heartbeat (they may have re-read the hashes before this one was back).
    /// </summary>
    private async Task Announce(string tenantId)
    {
        var db = redis!.GetDatabase();
        var batch = db.CreateBatch();
        var sent = views[tenantId].ReportedBy(GatewayId)
            .Select(e => batch.PublishAsync(ChannelOf(tenantId), JsonSerializer.Serialize(WireEntry.From(GatewayId, e)))).ToList();
        batch.Execute();
        await Task.WhenAll(sent).WaitAsync(options.HeartbeatInterval);
    }

    /// <summary>Reads every live gateway's report for the tenant; gateways whose heartbeat stopped drop out.</summary>
    private async Task Sync(string tenantId)
    {
        var db = redis!.GetDatabase();
        var gatewaysKey = GatewaysKey(tenantId);
        await db.SortedSetRemoveRangeByScoreAsync(gatewaysKey, double.NegativeInfinity, Now() - options.PresenceTtl.TotalMilliseconds);
        var live = (await db.SortedSetRangeByRankAsync(gatewaysKey)).Select(g => (string)g!).Where(g => g != GatewayId).ToHashSet();
        var view = views[tenantId];
        foreach (var gateway in live)
        {
            var fields = await db.HashGetAllAsync(GatewayKey(tenantId, gateway));
            var entries = fields.Select(f => JsonSerializer.Deserialize<WireEntry>((string)f.Value!)).OfType<WireEntry>().Select(w => w.ToEntry(tenantId));
            view.Replace(gateway, entries);
        }
        foreach (var gone in view.Gateways().Where(g => g != GatewayId && !live.Contains(g)))
            view.Replace(gone, []);
    }

    private async Task OnRestored()
    {
        logger.LogInformation("Redis connection restored: resubscribing and republishing presence");
        foreach (var tenantId in views.Keys)
        {
            try
            {
                await Subscribe(tenantId);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                Degrade(ex, $"Resubscribing presence of tenant {tenantId} failed");
            }
        }
        Interlocked.Exchange(ref announceAfterRestore, 1);
        heartbeatNow.Release();
    }

    /// <summary>Says goodbye on a clean shutdown, so the others drop this gateway's presence at once.</summary>
    private async Task Goodbye()
    {
        if (redis is not { IsConnected: true }) return;
        try
        {
            var db = redis.GetDatabase();
            foreach (var tenantId in views.Keys)
            {
                await db.KeyDeleteAsync(GatewayKey(tenantId, GatewayId));
                await db.SortedSetRemoveAsync(GatewaysKey(tenantId), GatewayId);
                await db.PublishAsync(ChannelOf(tenantId), JsonSerializer.Serialize(new WireEntry(GatewayId, "", "", null, "", Gone: true)));
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogWarning(ex, "Removing this gateway's presence from Redis failed; it expires within {Ttl}", options.PresenceTtl);
        }
    }

    private void Degrade(Exception? ex, string what)
    {
        if (Interlocked.Exchange(ref degraded, 1) == 0) logger.LogWarning(ex, "{What}; presence is degraded, chat is not affected", what);
        else logger.LogDebug(ex, "{What}", what);
    }

    private void Recovered()
    {
        if (Interlocked.Exchange(ref degraded, 0) == 1) logger.LogInformation("Presence through Redis works again");
    }

    private static RedisChannel ChannelOf(string tenantId) => RedisChannel.Literal(Prefix + tenantId);
    private static string GatewaysKey(string tenantId) => $"{Prefix}{tenantId}:gateways";
    private static string GatewayKey(string tenantId, string gatewayId) => $"{Prefix}{tenantId}:gateway:{gatewayId}";
    private static string Field(PresenceScope scope, string subjectId) => $"{(scope == PresenceScope.Agent ? "agent" : "visitor")}:{subjectId}";
    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>A presence change on the wire and in the hashes. The tenant is the channel or key, never the payload.</summary>
    private sealed record WireEntry(string Gateway, string Scope, string Subject, string? Name, string Status, bool Gone = false)
    {
        public static WireEntry From(string gateway, PresenceEntry e) =>
            new(gateway, e.Scope == PresenceScope.Agent ? "agent" : "visitor", e.SubjectId, e.DisplayName, e.Status.ToString().ToLowerInvariant());

        public PresenceEntry ToEntry(string tenantId) => new(
            tenantId,
            Scope == "agent" ? PresenceScope.Agent : PresenceScope.Visitor,
            Subject,
            Name,
            Enum.Parse<PresenceStatus>(Status, ignoreCase: true));
    }
}
