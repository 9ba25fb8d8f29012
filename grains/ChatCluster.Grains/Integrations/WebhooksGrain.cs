using ChatCluster.Grains.Privacy;
using ChatCluster.Integrations;
using ChatCluster.Privacy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace ChatCluster.Grains.Integrations;

/// <summary>
/// A tenant's webhook endpoints, their queue and their delivery log (I2). Reentrant: a delivery in flight (up to the
/// timeout) never holds up <see cref="Publish"/> or the admin's calls. Events are queued durably before anything is
/// sent; a <c>webhook-delivery</c> reminder wakes the grain while deliveries wait, so a restart resumes them.
/// </summary>
[Reentrant]
public sealed class WebhooksGrain(
    [PersistentState("webhooks", StorageNames.Chat)] IPersistentState<WebhooksState> state,
    IWebhookQueue queue,
    IWebhookSender sender,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhooksGrain> logger) : Grain, IWebhooksGrain, IRemindable
{
    private const string Reminder = "webhook-delivery";
    private readonly Dictionary<string, QueuedDelivery> pending = new(StringComparer.Ordinal);
    private readonly HashSet<string> inFlight = new(StringComparer.Ordinal);
    private IGrainTimer? wake;
    private bool logDirty;
    private bool reminderSet;
    private IGrainTimer? logWriter;

    private WebhookOptions Settings => options.Value;
    private string TenantId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var d in await queue.Pending(TenantId)) pending[d.DeliveryId] = d;
        if (pending.Count > 0) Kick();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (logDirty) await state.WriteStateAsync(cancellationToken);
    }

    public async Task<CreatedWebhook> Register(NewWebhook webhook, string actor)
    {
        if (WebhookTargets.Problem(webhook.Url, Settings.AllowPrivateTargets) is { } bad) throw ChatRuleException.Invalid(bad);
        CheckEvents(webhook.Events);
        if (webhook.Secret is { } given && (given.Length < 16 || given.Length > 200)) throw ChatRuleException.Invalid("secret is 16 to 200 characters (or leave it out to have one made).");
        if (state.State.Endpoints.Count >= Settings.MaxEndpointsPerTenant) throw ChatRuleException.Invalid($"A tenant has at most {Settings.MaxEndpointsPerTenant} webhook endpoints.");

        var now = time.GetUtcNow();
        var endpoint = new WebhookEndpoint
        {
            WebhookId = "w_" + Ids.Random(10),
            Url = webhook.Url,
            Events = [.. webhook.Events.Distinct(StringComparer.Ordinal)],
            Secret = webhook.Secret ?? "whsec_" + Ids.Random(24),
            IncludePersonalData = webhook.IncludePersonalData,
            Enabled = true,
            CreatedAt = now,
        };
        state.State.Endpoints[endpoint.WebhookId] = endpoint;
        await state.WriteStateAsync();
        await GrainFactory.Record(TenantId, new AuditEntry(now, actor, AuditAction.WebhookRegistered, AuditEntry.TenantSubject,
            $"webhook {endpoint.WebhookId} events {string.Join(" ", endpoint.Events)} personal data {(endpoint.IncludePersonalData ? "on" : "off")}"));
        return new CreatedWebhook(Info(endpoint), endpoint.Secret);
    }

    public Task<IReadOnlyList<WebhookInfo>> List() =>
        Task.FromResult<IReadOnlyList<WebhookInfo>>([.. state.State.Endpoints.Values.OrderBy(e => e.CreatedAt).Select(Info)]);

    public Task<string[]> Interest() =>
        Task.FromResult(state.State.Endpoints.Values.Where(w => w.Enabled).SelectMany(w => w.Events).Distinct(StringComparer.Ordinal).ToArray());

    public async Task<WebhookInfo> Change(string webhookId, WebhookChange change, string actor)
    {
        var endpoint = Find(webhookId);
        if (change.Url is not null && WebhookTargets.Problem(change.Url, Settings.AllowPrivateTargets) is { } bad) throw ChatRuleException.Invalid(bad);
        if (change.Events is not null) CheckEvents(change.Events);
        if (change.Url is not null) endpoint.Url = change.Url;
        if (change.Events is not null) endpoint.Events = [.. change.Events.Distinct(StringComparer.Ordinal)];
        if (change.IncludePersonalData is { } personal) endpoint.IncludePersonalData = personal;
        if (change.Enabled is { } enabled)
        {
            endpoint.Enabled = enabled;
            if (enabled) (endpoint.DisabledReason, endpoint.DisabledAt, endpoint.ConsecutiveFailures) = (null, null, 0);
            else (endpoint.DisabledReason, endpoint.DisabledAt) = ("Disabled by an admin.", time.GetUtcNow());
        }
        await state.WriteStateAsync();
        await GrainFactory.Record(TenantId, new AuditEntry(time.GetUtcNow(), actor, AuditAction.WebhookChanged, AuditEntry.TenantSubject,
            $"webhook {webhookId} enabled {endpoint.Enabled} events {string.Join(" ", endpoint.Events)} personal data {(endpoint.IncludePersonalData ? "on" : "off")}"));
        if (!endpoint.Enabled) await DropQueued(d => d.WebhookId == webhookId, "Endpoint disabled.");
        return Info(endpoint);
    }

    public async Task Delete(string webhookId, string actor)
    {
        Find(webhookId);
        state.State.Endpoints.Remove(webhookId);
        state.State.Log.Remove(webhookId);
        await state.WriteStateAsync();
        foreach (var id in pending.Values.Where(d => d.WebhookId == webhookId).Select(d => d.DeliveryId).ToList()) pending.Remove(id);
        await queue.RemoveWebhook(TenantId, webhookId);
        await GrainFactory.Record(TenantId, new AuditEntry(time.GetUtcNow(), actor, AuditAction.WebhookDeleted, AuditEntry.TenantSubject, $"webhook {webhookId}"));
    }

    public Task<IReadOnlyList<WebhookDeliveryRecord>> Deliveries(string webhookId)
    {
        Find(webhookId);
        return Task.FromResult<IReadOnlyList<WebhookDeliveryRecord>>(state.State.Log.TryGetValue(webhookId, out var log) ? [.. Enumerable.Reverse(log)] : []);
    }

    public async Task Publish(WebhookEvent e)
    {
        var targets = state.State.Endpoints.Values.Where(w => w.Enabled && w.Events.Contains(e.Type)).ToList();
        if (targets.Count == 0) return; // the common case for most tenants: nothing stored, nothing sent
        var eventId = "evt_" + Ids.Random(12);
        var now = time.GetUtcNow();
        var deliveries = targets.Select(w =>
        {
            var deliveryId = "d_" + Ids.Random(12);
            return new QueuedDelivery(deliveryId, w.WebhookId, eventId, e.Type, e.VisitorId,
                WebhookPayload.Build(deliveryId, eventId, TenantId, e, w.IncludePersonalData), now, Attempts: 0, NextAttemptAt: now);
        }).ToList();
        try
        {
            await queue.Enqueue(TenantId, deliveries);
        }
        catch (Exception ex)
        {
            // The chat change is already durable; a lost event is logged, never thrown back at the chat path (which does not wait).
            logger.LogWarning(ex, "Queueing {Type} webhooks of tenant {Tenant} failed", e.Type, TenantId);
            return;
        }
        foreach (var d in deliveries) pending[d.DeliveryId] = d;
        Kick();
    }

    public async Task ForgetVisitor(string visitorId)
    {
        foreach (var id in pending.Values.Where(d => d.VisitorId == visitorId && d.EventType != WebhookEventTypes.VisitorErased).Select(d => d.DeliveryId).ToList())
            pending.Remove(id);
        await queue.RemoveVisitor(TenantId, visitorId);
    }

    public async Task Purge()
    {
        pending.Clear();
        await queue.PurgeTenant(TenantId);
        if (state.RecordExists) await state.ClearStateAsync();
        logDirty = false;
        await ForgetReminder();
        DeactivateOnIdle();
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == Reminder) Kick();
        return Task.CompletedTask;
    }

    /// <summary>Sends whatever is due now, and arranges to wake when the next delivery is due.</summary>
    private void Kick()
    {
        // Every slot busy (a slow receiver): nothing can start, and the wake timer already set stands. Returning here
        // keeps an event's cost constant however long the queue behind a slow endpoint has grown; the delivery that
        // frees a slot kicks again.
        if (inFlight.Count >= Settings.MaxConcurrentDeliveries) return;
        foreach (var d in pending.Values.Where(d => d.NextAttemptAt <= time.GetUtcNow() && !inFlight.Contains(d.DeliveryId))
                     .OrderBy(d => d.NextAttemptAt).Take(Settings.MaxConcurrentDeliveries - inFlight.Count).ToList())
        {
            inFlight.Add(d.DeliveryId);
            _ = Deliver(d);
        }
        ScheduleWake();
    }

    /// <summary>
    /// A timer for the next retry that is not due yet; deliveries due now but over the concurrency limit start when one
    /// in flight finishes. The reminder, set once while anything waits, only matters after a restart or deactivation.
    /// </summary>
    private void ScheduleWake()
    {
        wake?.Dispose();
        wake = null;
        if (pending.Count == 0)
        {
            if (reminderSet) _ = ForgetReminder();
            return;
        }
        if (!reminderSet)
        {
            reminderSet = true;
            _ = this.RegisterOrUpdateReminder(Reminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        }
        var now = time.GetUtcNow();
        var later = pending.Values.Where(d => !inFlight.Contains(d.DeliveryId) && d.NextAttemptAt > now).Select(d => d.NextAttemptAt).DefaultIfEmpty().Min();
        if (later == default) return;
        var due = later - now;
        if (due < TimeSpan.FromMilliseconds(10)) due = TimeSpan.FromMilliseconds(10);
        wake = this.RegisterGrainTimer(() => { Kick(); return Task.CompletedTask; }, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { Interleave = true });
    }

    private async Task ForgetReminder()
    {
        reminderSet = false;
        try
        {
            if (await this.GetReminder(Reminder) is { } reminder) await this.UnregisterReminder(reminder);
        }
        catch (Exception ex) when (ex is ReminderException or TimeoutException or OrleansException)
        {
            logger.LogDebug(ex, "Unregistering the webhook reminder of {Tenant} failed; it will find nothing to do", TenantId);
        }
    }

    private async Task Deliver(QueuedDelivery d)
    {
        try
        {
            if (!state.State.Endpoints.TryGetValue(d.WebhookId, out var endpoint) || !endpoint.Enabled)
            {
                await Finish(d, null, "dropped", "Endpoint disabled or deleted.", 0);
                return;
            }
            var at = time.GetUtcNow();
            var headers = new Dictionary<string, string>
            {
                [WebhookSignature.Header] = WebhookSignature.Sign(endpoint.Secret, at, d.Body),
                [WebhookSignature.EventHeader] = d.EventType,
                [WebhookSignature.DeliveryHeader] = d.DeliveryId,
            };
            var started = time.GetTimestamp();
            var result = await sender.Send(new Uri(endpoint.Url), d.Body, headers, Settings.Timeout);
            var took = (long)time.GetElapsedTime(started).TotalMilliseconds;
            var attempt = d.Attempts + 1;
            if (result.Accepted)
            {
                endpoint.ConsecutiveFailures = 0;
                await Finish(d with { Attempts = attempt }, result.StatusCode, "delivered", null, took);
                return;
            }

            endpoint.ConsecutiveFailures++;
            var error = result.Error ?? $"HTTP {result.StatusCode}";
            if (endpoint.ConsecutiveFailures >= Settings.DisableAfterFailures && endpoint.Enabled)
            {
                endpoint.Enabled = false;
                endpoint.DisabledAt = time.GetUtcNow();
                endpoint.DisabledReason = $"Disabled after {endpoint.ConsecutiveFailures} failed deliveries in a row; the last: {error}.";
                await state.WriteStateAsync();
                logger.LogWarning("Webhook {Webhook} of tenant {Tenant} disabled: {Reason}", endpoint.WebhookId, TenantId, endpoint.DisabledReason);
            }
            var next = time.GetUtcNow() + Settings.DelayAfter(attempt);
            if (!endpoint.Enabled || next - d.CreatedAt > Settings.GiveUpAfter)
            {
                await Finish(d with { Attempts = attempt }, result.StatusCode, endpoint.Enabled ? "abandoned" : "dropped", error, took);
                if (!endpoint.Enabled) await DropQueued(q => q.WebhookId == endpoint.WebhookId && q.DeliveryId != d.DeliveryId, "Endpoint disabled.");
                return;
            }
            Record(d with { Attempts = attempt }, result.StatusCode, "failed", error, took);
            await queue.Reschedule(TenantId, d.DeliveryId, attempt, next);
            if (pending.ContainsKey(d.DeliveryId)) pending[d.DeliveryId] = d with { Attempts = attempt, NextAttemptAt = next };
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Webhook delivery {Delivery} of tenant {Tenant} failed unexpectedly; it is retried", d.DeliveryId, TenantId);
            if (pending.ContainsKey(d.DeliveryId)) pending[d.DeliveryId] = d with { NextAttemptAt = time.GetUtcNow() + Settings.FirstDelay };
        }
        finally
        {
            inFlight.Remove(d.DeliveryId);
            Kick();
        }
    }

    private async Task Finish(QueuedDelivery d, int? status, string outcome, string? error, long took)
    {
        pending.Remove(d.DeliveryId);
        await queue.Remove(TenantId, [d.DeliveryId]);
        Record(d, status, outcome, error, took);
    }

    private async Task DropQueued(Func<QueuedDelivery, bool> which, string why)
    {
        var doomed = pending.Values.Where(which).Where(d => !inFlight.Contains(d.DeliveryId)).ToList();
        if (doomed.Count == 0) return;
        foreach (var d in doomed)
        {
            pending.Remove(d.DeliveryId);
            Record(d, null, "dropped", why, 0);
        }
        await queue.Remove(TenantId, [.. doomed.Select(d => d.DeliveryId)]);
    }

    private void Record(QueuedDelivery d, int? status, string outcome, string? error, long took)
    {
        if (!state.State.Endpoints.ContainsKey(d.WebhookId)) return;
        if (!state.State.Log.TryGetValue(d.WebhookId, out var log)) state.State.Log[d.WebhookId] = log = [];
        log.Add(new WebhookDeliveryRecord(d.DeliveryId, d.EventId, d.EventType, time.GetUtcNow(), d.Attempts, status, outcome,
            error is { Length: > 300 } ? error[..300] : error, took));
        if (log.Count > Settings.LogSize) log.RemoveRange(0, log.Count - Settings.LogSize);
        logDirty = true;
        // The log is written at most every few seconds, not once per delivery.
        logWriter ??= this.RegisterGrainTimer(WriteLog, new GrainTimerCreationOptions(TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan) { Interleave = true });
    }

    private async Task WriteLog()
    {
        logWriter?.Dispose();
        logWriter = null;
        if (!logDirty) return;
        logDirty = false;
        await state.WriteStateAsync();
    }

    private WebhookEndpoint Find(string webhookId) =>
        state.State.Endpoints.TryGetValue(webhookId, out var endpoint) ? endpoint : throw ChatRuleException.NotFound($"Webhook '{(webhookId.Length > 40 ? webhookId[..40] : webhookId)}'");

    private static void CheckEvents(IReadOnlyList<string> events)
    {
        if (events.Count == 0) throw ChatRuleException.Invalid("events needs at least one of " + string.Join(", ", WebhookEventTypes.All) + ".");
        if (events.FirstOrDefault(e => !WebhookEventTypes.IsKnown(e)) is { } unknown)
            throw ChatRuleException.Invalid($"Unknown event '{(unknown.Length > 40 ? unknown[..40] + "…" : unknown)}'; events are " + string.Join(", ", WebhookEventTypes.All) + ".");
    }

    private WebhookInfo Info(WebhookEndpoint e) => new(e.WebhookId, e.Url, e.Events, e.IncludePersonalData, e.Enabled, e.DisabledReason, e.DisabledAt,
        e.ConsecutiveFailures, pending.Values.Count(d => d.WebhookId == e.WebhookId), e.CreatedAt);
}

[GenerateSerializer]
public sealed class WebhooksState
{
    [Id(0)] public Dictionary<string, WebhookEndpoint> Endpoints { get; set; } = [];
    [Id(1)] public Dictionary<string, List<WebhookDeliveryRecord>> Log { get; set; } = [];
}

[GenerateSerializer]
public sealed class WebhookEndpoint
{
    [Id(0)] public string WebhookId { get; set; } = "";
    [Id(1)] public string Url { get; set; } = "";
    [Id(2)] public List<string> Events { get; set; } = [];
    [Id(3)] public string Secret { get; set; } = "";
    [Id(4)] public bool IncludePersonalData { get; set; }
    [Id(5)] public bool Enabled { get; set; }
    [Id(6)] public string? DisabledReason { get; set; }
    [Id(7)] public DateTimeOffset? DisabledAt { get; set; }
    [Id(8)] public int ConsecutiveFailures { get; set; }
    [Id(9)] public DateTimeOffset CreatedAt { get; set; }
}
