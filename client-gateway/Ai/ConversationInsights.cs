using System.Diagnostics;
using System.Globalization;
using ChatCluster.Conversations;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Reports;
using ChatCluster.Insights;
using ChatCluster.Privacy;
using ChatCluster.Reports;
using ChatCluster.Tenants;
using ChatCluster.Visitors;

namespace ChatCluster.Gateway.Ai;

/// <summary>
/// The one path by which conversation data reaches an AI provider (A2, R5): tenant switched on → person not
/// restricted → pseudonymised → provider, bounded by a timeout → re-identified for the agent → recorded in the
/// tenant's AI call log without content. Any failure becomes a status; chat itself never depends on this.
/// </summary>
public sealed class ConversationInsights(IInsightProvider provider, AiOptions options, IClusterClient grains, TimeProvider time, ILogger<ConversationInsights> logger)
{
    public const string SentimentAndSummary = "conversation-insights";
    public const string WeeklyDigest = "weekly-digest";

    public async Task<InsightsAnswer> ForConversation(AgentPrincipal me, string conversationId, CancellationToken cancellationToken)
    {
        var settings = await grains.GetGrain<ITenantAiSettingsGrain>(me.TenantId).Get();
        if (!settings.Enabled) return InsightsAnswer.NotAnalysed(conversationId, AiOutcomes.Disabled, "AI features are off for this tenant; an admin can turn them on.");

        var conversation = grains.GetGrain<IConversationGrain>(GrainKeys.Scoped(me.TenantId, conversationId));
        var (summary, messages) = await ReadTranscript(conversation, me.AsParticipant());
        var visitor = grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped(me.TenantId, summary.VisitorId));
        var subject = AuditEntry.ConversationSubject(conversationId);
        if (await visitor.IsProcessingRestricted())
        {
            await Record(me, SentimentAndSummary, subject, 0, new Dictionary<string, int>(), AiOutcomes.Restricted, 0, settings, sent: false);
            return InsightsAnswer.NotAnalysed(conversationId, AiOutcomes.Restricted, "This visitor restricted processing or objected (R5); nothing was sent to AI.");
        }

        var profile = await visitor.GetProfile();
        var agents = await grains.GetGrain<ITenantGrain>(me.TenantId).ListAgents();
        var knownNames = new[] { summary.VisitorName, profile?.Name }
            .Concat(agents.Select(a => (string?)a.DisplayName))
            .Concat(messages.Select(m => m.Sender.DisplayName));
        var texts = messages.Select(m => m.Text).Append(profile?.Email ?? "").ToList();
        var mask = new Pseudonymizer(knownNames, texts);
        var lines = Fit(messages.Select(m => new TranscriptLine(Speaker(m.Sender), mask.Redact(m.Text))).ToList());
        var size = lines.Sum(l => l.Speaker.Length + l.Text.Length + 3);

        var (analysis, outcome, elapsed) = await Call(me.TenantId, settings,
            ct => provider.AnalyzeConversation(lines, new AiCallContext(settings.ModelTrainingOptOut), ct), cancellationToken);
        await Record(me, SentimentAndSummary, subject, size, mask.Counts, outcome, elapsed, settings, sent: true);
        if (analysis is null) return InsightsAnswer.NotAnalysed(conversationId, outcome, Explain(outcome), provider.Name);
        return new InsightsAnswer(conversationId, AiOutcomes.Ok, null, provider.Name, analysis.Sentiment, analysis.Score,
            mask.Reidentify(analysis.Summary), messages.Count, mask.Total);
    }

    /// <summary>The last 7 full UTC days against the 7 before, from the day statistics only — no conversation text.</summary>
    public async Task<DigestAnswer> Weekly(AgentPrincipal me, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var (from, to) = (today.AddDays(-7), today.AddDays(-1));
        var settings = await grains.GetGrain<ITenantAiSettingsGrain>(me.TenantId).Get();
        var thisWeek = await Report(me.TenantId, from, to);
        var lastWeek = await Report(me.TenantId, from.AddDays(-7), to.AddDays(-7));
        var facts = DigestFacts(thisWeek, lastWeek);
        if (!settings.Enabled) return new DigestAnswer(from, to, AiOutcomes.Disabled, "AI features are off for this tenant; these are the plain numbers.", "local", facts, thisWeek.Totals);

        var (text, outcome, elapsed) = await Call(me.TenantId, settings,
            ct => provider.WriteDigest(facts, new AiCallContext(settings.ModelTrainingOptOut), ct), cancellationToken);
        await Record(me, WeeklyDigest, "statistics", facts.Length, new Dictionary<string, int>(), outcome, elapsed, settings, sent: true);
        return text is null
            ? new DigestAnswer(from, to, outcome, Explain(outcome) + " These are the plain numbers.", provider.Name, facts, thisWeek.Totals)
            : new DigestAnswer(from, to, AiOutcomes.Ok, null, provider.Name, text, thisWeek.Totals);
    }

    private async Task<(T? Result, string Outcome, long ElapsedMs)> Call<T>(string tenantId, AiSettings settings, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        var clock = Stopwatch.StartNew();
        AiSetup.TrainingOptOut.Value = settings.ModelTrainingOptOut;
        try
        {
            var result = await call(timeout.Token).WaitAsync(options.Timeout, cancellationToken);
            return (result, AiOutcomes.Ok, clock.ElapsedMilliseconds);
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning("AI provider {Provider} timed out after {Timeout} for tenant {Tenant}", provider.Name, options.Timeout, tenantId);
            return (null, AiOutcomes.Timeout, clock.ElapsedMilliseconds);
        }
        catch (InvalidAiAnswerException ex)
        {
            logger.LogWarning("AI provider {Provider} gave an unusable answer for tenant {Tenant}: {Reason}", provider.Name, tenantId, ex.Message);
            return (null, AiOutcomes.InvalidAnswer, clock.ElapsedMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Only the exception type: provider error bodies may echo the request.
            logger.LogWarning("AI provider {Provider} failed for tenant {Tenant}: {Error}", provider.Name, tenantId, ex.GetType().Name);
            return (null, AiOutcomes.Failed, clock.ElapsedMilliseconds);
        }
        finally
        {
            AiSetup.TrainingOptOut.Value = false;
        }
    }

    private Task Record(AgentPrincipal me, string feature, string subject, int size, IReadOnlyDictionary<string, int> redactions, string outcome,
        long elapsedMs, AiSettings settings, bool sent)
    {
        var now = time.GetUtcNow();
        var record = new AiCallRecord(now, AuditEntry.Agent(me.AgentId), feature, subject, sent ? provider.Name : "none", sent ? provider.Model : null,
            sent && provider.IsRemote, size, new Dictionary<string, int>(redactions), outcome, elapsedMs, settings.ModelTrainingOptOut);
        return grains.GetGrain<IAiCallLogGrain>(DayKeys.For(me.TenantId, now)).Append(record);
    }

    private async Task<TenantReport> Report(string tenantId, DateOnly from, DateOnly to)
    {
        var days = new List<DayReport>();
        for (var d = from; d <= to; d = d.AddDays(1)) days.Add(await grains.GetGrain<IDayReportGrain>(DayKeys.For(tenantId, d)).GetReport());
        return TenantReport.Build(from, to, ReportGranularity.Day, days, new Dictionary<string, string>());
    }

    /// <summary>Plain sentences from the numbers; also the local provider's digest and what a remote one rewrites.</summary>
    public static string DigestFacts(TenantReport week, TenantReport before)
    {
        var t = week.Totals;
        var inv = CultureInfo.InvariantCulture;
        var facts = new List<string>
        {
            string.Format(inv, "From {0:yyyy-MM-dd} to {1:yyyy-MM-dd} the team had {2} conversations ({3}) and {4} messages.",
                week.From, week.To, t.Conversations, Change(t.Conversations, before.Totals.Conversations), t.Messages),
            t.Missed == 0 ? "No conversation was missed." : string.Format(inv, "{0} conversations ended without an agent reply.", t.Missed),
        };
        if (t.FirstResponse.MedianSeconds is { } frMedian)
            facts.Add(string.Format(inv, "Median first response {0} (90% within {1}).", Duration(frMedian), Duration(t.FirstResponse.P90Seconds ?? frMedian)));
        if (t.Resolution.MedianSeconds is { } resMedian)
            facts.Add(string.Format(inv, "Median time to resolution {0}.", Duration(resMedian)));
        if (t.Satisfaction.Average is { } rating)
            facts.Add(string.Format(inv, "Average rating {0:0.0} of 5 from {1} ratings.", rating, t.Satisfaction.Ratings));
        if (week.BusiestHours.Count > 0)
            facts.Add(string.Format(inv, "Busiest hour: {0:00}:00–{1:00}:00 UTC.", week.BusiestHours[0], (week.BusiestHours[0] + 1) % 24));
        return string.Join(' ', facts);
    }

    private static string Change(long now, long before) => before == 0
        ? (now == 0 ? "no change" : "none the week before")
        : string.Format(CultureInfo.InvariantCulture, "{0:+0;-0;0}% on the week before", (now - before) * 100.0 / before);

    private static string Duration(double seconds) => seconds switch
    {
        < 90 => $"{seconds:0} s",
        < 5400 => $"{seconds / 60:0} min",
        _ => $"{seconds / 3600:0.#} h",
    };

    private static string Explain(string outcome) => outcome switch
    {
        AiOutcomes.Timeout => "The AI provider did not answer in time; try again later. Chat is not affected.",
        AiOutcomes.InvalidAnswer => "The AI provider's answer could not be understood. Chat is not affected.",
        _ => "The AI provider is unavailable; try again later. Chat is not affected.",
    };

    private static string Speaker(Participant p) => p.Kind switch
    {
        ParticipantKind.Visitor => "visitor",
        ParticipantKind.Agent => "agent",
        _ => "system",
    };

    /// <summary>Keeps the latest messages that fit the configured size.</summary>
    private List<TranscriptLine> Fit(List<TranscriptLine> lines)
    {
        var total = 0;
        var start = lines.Count;
        while (start > 0 && total + lines[start - 1].Text.Length <= options.MaxTranscriptChars) total += lines[--start].Text.Length;
        return lines.GetRange(start, lines.Count - start);
    }

    private static async Task<(ConversationSummary Summary, List<ChatMessage> Messages)> ReadTranscript(IConversationGrain conversation, Participant reader)
    {
        var messages = new List<ChatMessage>();
        HistoryPage page;
        do
        {
            page = await conversation.GetHistory(reader, messages.Count == 0 ? 0 : messages[^1].Seq, MessageLimits.MaxHistoryPage);
            messages.AddRange(page.Messages);
        }
        while (page.HasMore);
        return (page.Conversation, messages);
    }
}

/// <summary>
/// What an agent sees: <see cref="Status"/> is <c>ok</c>, <c>disabled</c>, <c>restricted</c>, <c>timeout</c>, <c>unavailable</c>
/// or <c>invalid_answer</c>; <see cref="Message"/> explains anything but <c>ok</c>. The summary is re-identified.
/// </summary>
public sealed record InsightsAnswer(
    string ConversationId, string Status, string? Message, string? Provider, string? Sentiment, double? Score, string? Summary,
    int Messages, int Redactions)
{
    public static InsightsAnswer NotAnalysed(string conversationId, string status, string message, string? provider = null) =>
        new(conversationId, status, message, provider, null, null, null, 0, 0);
}

public sealed record DigestAnswer(DateOnly From, DateOnly To, string Status, string? Message, string Provider, string Text, ReportTotals Totals);
