using System.Text;
using ChatCluster.Conversations;
using ChatCluster.Grains.Privacy;
using ChatCluster.Grains.Reports;
using ChatCluster.Inbox;
using ChatCluster.Integrations;
using ChatCluster.Privacy;
using ChatCluster.Tenants;
using ChatCluster.Visitors;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Grains.Conversations;

public sealed partial class ConversationGrain(
    [PersistentState("conversation", StorageNames.Chat)] IPersistentState<ConversationState> state,
    IConversationLog log,
    TimeProvider time,
    RetentionClock retention,
    ILogger<ConversationGrain> logger) : Grain, IConversationGrain, IRemindable
{
    private readonly List<ChatMessage> messages = [];
    private readonly Dictionary<string, ChatMessage> byClientId = new(StringComparer.Ordinal);
    private readonly ConversationFollowers followers = new(time);
    private string key = "";
    private string tenantId = "";
    private string conversationId = "";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        key = this.GetPrimaryKeyString();
        (tenantId, conversationId) = GrainKeys.Split(key);
        if (state.State.Started)
        {
            foreach (var message in await log.ReadAll(key)) Remember(message);
        }
    }

    public async Task<ConversationSummary> Start(Participant visitor, ConversationContact contact)
    {
        if (!visitor.IsVisitor) throw ChatRuleException.Forbidden("Only a visitor starts a conversation.");
        if (state.State.Started)
        {
            if (state.State.VisitorId != visitor.Id) throw ChatRuleException.Conflict("This conversation belongs to someone else.");
            return Summary();
        }

        await EnsureTenantOpen();
        var now = time.GetUtcNow();
        var analytics = await GrainFactory.GetGrain<IVisitorGrain>(GrainKeys.Scoped(tenantId, visitor.Id)).GetAnalyticsProfile();
        state.State = new ConversationState
        {
            Started = true,
            VisitorId = visitor.Id,
            VisitorName = contact.Name,
            VisitorEmail = contact.Email,
            Status = ConversationStatus.Open,
            StartedAt = now,
            LastActivityAt = now,
            ProcessingRestricted = analytics.Restricted,
        };
        state.State.Retention.Adopt(await GrainFactory.GetGrain<ITenantGrain>(tenantId).GetRetentionRules());
        await PromiseTranscript(visitor.Id, contact.Email);
        await RouteToAgent();
        await state.WriteStateAsync();
        await StartRetention();
        await MailConfirmationCode();
        if (FeedsStatistics)
        {
            _ = GrainFactory.GetGrain<IDailyStatsGrain>(DayKeys.For(tenantId, now))
                .Record(new StatsEvent(StatsEventKind.ConversationStarted, At: now) { Country = analytics.Country });
        }
        Publish(AnnounceStatus(visitor));
        NotifyWebhooks(WebhookEventTypes.ConversationStarted, e => e with { VisitorName = contact.Name, VisitorEmail = contact.Email });
        if (state.State.Status == ConversationStatus.Assigned) NotifyWebhooks(WebhookEventTypes.ConversationAssigned);
        return Summary();
    }

    public Task<bool> Follow(IConversationObserver gateway) => Task.FromResult(followers.Follow(gateway));

    public Task Unfollow(IConversationObserver gateway)
    {
        followers.Unfollow(gateway);
        return Task.CompletedTask;
    }

    public Task<ConversationSummary?> GetSummary() => Task.FromResult(state.State.Started ? Summary() : null);

    public async Task<SendResult> Send(Participant sender, string clientMessageId, string text)
    {
        EnsureParticipant(sender);
        await EnsureTenantOpen();
        await RefreshWebhookInterest();
        if (string.IsNullOrEmpty(clientMessageId) || clientMessageId.Length > MessageLimits.MaxClientMessageIdLength)
            throw ChatRuleException.Invalid($"A client message id is 1 to {MessageLimits.MaxClientMessageIdLength} characters.");
        if (byClientId.TryGetValue(clientMessageId, out var earlier))
        {
            if (earlier.Sender.Id != sender.Id) throw ChatRuleException.Conflict("That client message id was used by someone else.");
            return new SendResult(earlier.Seq, earlier.SentAt, Duplicate: true);
        }
        if (state.State.Status == ConversationStatus.Closed)
            throw new ChatRuleException(ErrorCodes.ConversationClosed, "The conversation is closed.");
        if (string.IsNullOrWhiteSpace(text)) throw ChatRuleException.Invalid("A message needs text.");
        if (Encoding.UTF8.GetByteCount(text) > MessageLimits.MaxTextBytes)
            throw new ChatRuleException(ErrorCodes.MessageTooLong, $"A message is at most {MessageLimits.MaxTextBytes} bytes of UTF-8 text.");
        if (messages.Count >= MessageLimits.MaxMessagesPerConversation)
            throw ChatRuleException.Invalid($"A conversation holds at most {MessageLimits.MaxMessagesPerConversation} messages; start a new one.");

        var message = new ChatMessage(LastSeq + 1, clientMessageId, sender, text, time.GetUtcNow());
        try
        {
            await log.Append(key, message); // durable from here on: the ack may be sent
        }
        catch (ConversationLogUncertainException ex)
        {
            // Whether the row committed is unknown: the next activation reads the log afresh, and a retry with the
            // same client message id then finds its message instead of taking a second sequence number.
            DeactivateOnIdle();
            throw ex.Unavailable;
        }
        Remember(message);
        await CountMessage(message);

        var posted = ConversationEvent.Posted(conversationId, message);
        if (sender.IsAgent && state.State.Status == ConversationStatus.Open)
        {
            // An agent replying to an unclaimed conversation takes it (T3).
            state.State.Status = ConversationStatus.Assigned;
            state.State.AssignedAgentId = sender.Id;
            await state.WriteStateAsync();
            if (FeedsStatistics) _ = GrainFactory.CountAssigned(tenantId, message.SentAt, sender.Id);
            Publish(AnnounceStatus(sender), posted); // one push per gateway for both
            NotifyWebhooks(WebhookEventTypes.ConversationAssigned);
        }
        else
        {
            ReportActivity();
            Publish(posted);
        }
        NotifyWebhooks(WebhookEventTypes.MessageCreated, e => e with { At = message.SentAt, Seq = message.Seq, Sender = message.Sender, Text = message.Text });
        return new SendResult(message.Seq, message.SentAt, Duplicate: false);
    }

    public Task<HistoryPage> GetHistory(Participant reader, long afterSeq, int maxMessages)
    {
        EnsureParticipant(reader);
        var take = Math.Clamp(maxMessages, 1, MessageLimits.MaxHistoryPage);
        var start = afterSeq <= 0 ? 0 : (int)Math.Min(afterSeq, messages.Count); // seq n sits at index n-1
        var page = messages.Skip(start).Take(take).ToList();
        var marks = state.State.ReadMarks.Values.ToList();
        return Task.FromResult(new HistoryPage(Summary(), page, marks, HasMore: start + page.Count < messages.Count));
    }

    public Task SetTyping(Participant who, bool isTyping)
    {
        EnsureParticipant(who);
        if (state.State.Status != ConversationStatus.Closed) Publish(ConversationEvent.Typing(conversationId, who, isTyping, time.GetUtcNow()));
        return Task.CompletedTask;
    }

    public async Task MarkRead(Participant reader, long seq)
    {
        EnsureParticipant(reader);
        seq = Math.Min(seq, LastSeq);
        var markKey = $"{reader.Kind}:{reader.Id}";
        if (seq <= 0 || (state.State.ReadMarks.TryGetValue(markKey, out var mark) && mark.Seq >= seq)) return;
        state.State.ReadMarks[markKey] = new ReadMark(reader, seq);
        SaveReadMarksSoon();
        Publish(ConversationEvent.Read(conversationId, reader, seq, time.GetUtcNow()));
    }

    public async Task<ConversationSummary> Assign(Participant agent)
    {
        EnsureStarted();
        if (!agent.IsAgent) throw ChatRuleException.Forbidden("Only an agent can claim a conversation.");
        if (state.State.Status == ConversationStatus.Closed)
            throw new ChatRuleException(ErrorCodes.ConversationClosed, "The conversation is closed.");
        if (state.State.AssignedAgentId == agent.Id) return Summary();

        state.State.Status = ConversationStatus.Assigned;
        state.State.AssignedAgentId = agent.Id;
        state.State.LastActivityAt = time.GetUtcNow();
        await state.WriteStateAsync();
        if (FeedsStatistics) _ = GrainFactory.CountAssigned(tenantId, state.State.LastActivityAt, agent.Id);
        Publish(AnnounceStatus(agent));
        NotifyWebhooks(WebhookEventTypes.ConversationAssigned);
        return Summary();
    }

    public async Task<ConversationSummary> Close(Participant by)
    {
        EnsureParticipant(by);
        if (state.State.Status == ConversationStatus.Closed) return Summary();
        state.State.Status = ConversationStatus.Closed;
        state.State.ClosedAt = time.GetUtcNow();
        state.State.LastActivityAt = state.State.ClosedAt.Value;
        await state.WriteStateAsync();
        if (FeedsStatistics)
        {
            _ = GrainFactory.Count(tenantId, state.State.ClosedAt.Value, StatsEventKind.Resolved, state.State.ClosedAt.Value - state.State.StartedAt);
            if (state.State.FirstResponseAt is null) _ = GrainFactory.CountMissed(tenantId, state.State.ClosedAt.Value);
        }
        FlushCounts(); // the day's message counts are complete when the conversation is
        Publish(AnnounceStatus(by));
        NotifyWebhooks(WebhookEventTypes.ConversationClosed, e => e with { Sender = by });
        await MailTranscript();
        return Summary();
    }

    private long LastSeq => messages.Count == 0 ? 0 : messages[^1].Seq;

    private void Remember(ChatMessage message)
    {
        messages.Add(message);
        byClientId[message.ClientMessageId] = message;
        if (message.SentAt > state.State.LastActivityAt) state.State.LastActivityAt = message.SentAt;
    }

    private void EnsureStarted()
    {
        if (!state.State.Started) throw ChatRuleException.NotFound($"Conversation '{conversationId}'");
    }

    private void EnsureParticipant(Participant who)
    {
        EnsureStarted();
        switch (who.Kind)
        {
            case ParticipantKind.Agent:
            case ParticipantKind.System:
                return;
            case ParticipantKind.Visitor when who.Id == state.State.VisitorId:
                return;
            default:
                // Same answer as for a conversation that does not exist: ids reveal nothing.
                throw ChatRuleException.NotFound($"Conversation '{conversationId}'");
        }
    }

    /// <summary>Reports a status or assignment change to the inbox and routing at once; returns the event for the followers.</summary>
    private ConversationEvent AnnounceStatus(Participant by)
    {
        var summary = Summary();
        ReportToInbox();
        TrackAssignment(summary);
        return ConversationEvent.StatusChanged(summary, by, time.GetUtcNow());
    }

    /// <summary>
    /// Pushes the events of this call to every following gateway, one one-way call each. The change is already
    /// durable: a gateway that misses the push reads the gap from the log (docs/protocol.md §5).
    /// </summary>
    private void Publish(params ConversationEvent[] events) => followers.Push(key, events);

    private ConversationSummary Summary() => new(
        conversationId, state.State.VisitorId, state.State.VisitorName, state.State.Status,
        state.State.AssignedAgentId, LastSeq, state.State.StartedAt, state.State.LastActivityAt, state.State.Transcript);
}

[GenerateSerializer]
public sealed class ConversationState
{
    [Id(0)] public bool Started { get; set; }
    [Id(1)] public string VisitorId { get; set; } = "";
    [Id(2)] public string? VisitorName { get; set; }
    [Id(3)] public string? VisitorEmail { get; set; }
    [Id(4)] public ConversationStatus Status { get; set; }
    [Id(5)] public string? AssignedAgentId { get; set; }
    [Id(6)] public DateTimeOffset StartedAt { get; set; }
    [Id(7)] public DateTimeOffset LastActivityAt { get; set; }
    [Id(8)] public DateTimeOffset? ClosedAt { get; set; }
    [Id(9)] public Dictionary<string, ReadMark> ReadMarks { get; set; } = [];
    [Id(10)] public RetentionState Retention { get; set; } = new();
    [Id(11)] public DateTimeOffset? FirstResponseAt { get; set; }

    /// <summary>After expiry, when the tenant allows it, the only trace of the contact (R2): <c>j***@e***.com</c>.</summary>
    [Id(12)] public string? RedactedEmail { get; set; }
    [Id(13)] public DateTimeOffset? ExpiredAt { get; set; }

    /// <summary>The visitor restricted processing or objected (R5): the conversation feeds no statistics meanwhile.</summary>
    [Id(14)] public bool ProcessingRestricted { get; set; }

    /// <summary>A transcript whose mail failed transiently and is tried again by the <c>transcript-retry</c> reminder (W5).</summary>
    [Id(15)] public OwedTranscript? OwedTranscript { get; set; }

    /// <summary>What becomes of the transcript (issue 15); null without an email, or for a conversation started before it was tracked.</summary>
    [Id(16)] public TranscriptStatus? Transcript { get; set; }

    /// <summary>The code mailed to the transcript address while <see cref="Transcript"/> awaits its confirmation.</summary>
    [Id(17)] public string? TranscriptCode { get; set; }

    [Id(18)] public int TranscriptCodeAttempts { get; set; }

    /// <summary>The visitor's rating; its comment is personal data and is deleted with the rest (Id 20+: assignment features).</summary>
    [Id(20)] public ConversationRating? Rating { get; set; }
}
