using System.Diagnostics;
using ChatCluster.LoadTests.Gateway;
using ChatCluster.LoadTests.Model;

namespace ChatCluster.LoadTests.Scenarios;

/// <summary>
/// Retention at work (R1): the process's tenant gets a short retention period; each iteration creates a
/// conversation (visitor hello, start, one message acknowledged) and then watches its transcript
/// (<c>GET /api/conversations/{id}</c>) until it answers 404. The second step's latency is how long after
/// the deadline (the acknowledged message + the period) the purge was observed; a conversation still there
/// at the step's timeout fails as "timeout". Purge rate = that step's ok/s; completeness = its ok share.
/// The embedded default is started with a short minimum period and a 1 s check interval; a --url target
/// must allow them (ChatCluster__Retention__MinimumPeriod / CheckInterval, docs/privacy.md).
/// </summary>
public sealed class RetentionScenario : IScenarioDefinition
{
    public const string CreateStep = "create conversation";
    public const string PurgeStep = "purged after deadline";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public string Name => "retention";

    public string Description =>
        "Short-retention conversations are created and watched until their transcript is gone (404): purge delay after the deadline, " +
        "purge rate and completeness. Starts the embedded default with a short retention minimum unless --url is given. Closed model: --concurrency copies.";

    public IReadOnlyList<ScenarioOption> Options { get; } = GatewayTargets.OptionsWith(
        new ScenarioOption("retention", "the tenant's retention period in seconds (≥ the gateway's ChatCluster:Retention:MinimumPeriod)", "5"));

    public Task<TargetLease> ProvideTargetsAsync(RunSettings settings, CancellationToken cancellationToken) =>
        GatewayTargets.ProvideAsync(settings, new Dictionary<string, string>
        {
            ["ChatCluster__Retention__MinimumPeriod"] = "00:00:02",
            ["ChatCluster__Retention__CheckInterval"] = "00:00:01",
        }, cancellationToken);

    public Scenario Build(RunSettings settings)
    {
        var period = TimeSpan.FromSeconds(settings.DoubleOption("retention"));
        var encoding = GatewayTargets.EncodingOf(settings);
        if (period < TimeSpan.FromSeconds(1) || period > TimeSpan.FromSeconds(20)) throw new ArgumentException("--retention must be 1..20 seconds (a step may last at most 30 s).");
        if (settings.Rate is not null) throw new ArgumentException("retention: each copy waits for its purge; use --concurrency (closed model).");

        var create = new Step(CreateStep, async ctx =>
        {
            var context = ctx.Scenario;
            var (visitor, _) = await GatewayTargets.VisitorAsync(context, context.Settings.TargetFor(ctx.Copy.GlobalCopyNumber), encoding, ctx.CancellationToken);
            await using (visitor)
            {
                var started = await visitor.RequestAsync("started", ctx.CancellationToken, ("type", "start"));
                var conversationId = started.ConversationId ?? throw new InvalidOperationException("started without a conversation id");
                await visitor.RequestAsync("ack", ctx.CancellationToken,
                    ("type", "send"), ("conversationId", conversationId), ("clientMessageId", "m1"), ("text", "please forget me soon"));
                ctx.Copy.State = new Created(conversationId, Stopwatch.GetTimestamp());
                return StepResult.Ok(visitor.BytesSent, visitor.BytesReceived);
            }
        })
        { Timeout = settings.StepTimeout };

        var purged = new Step(PurgeStep, async ctx =>
        {
            var created = ctx.Copy.GetState<Created>();
            var context = ctx.Scenario;
            var api = GatewayTargets.Api(context, context.Settings.TargetFor(ctx.Copy.GlobalCopyNumber));
            var token = GatewayTargets.Tenant(context).OwnerToken;
            var deadline = created.AckedAt + (long)(period.TotalSeconds * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, ctx.CancellationToken);
            while (await api.TranscriptExistsAsync(token, created.ConversationId, ctx.CancellationToken))
                await Task.Delay(PollInterval, ctx.CancellationToken);
            var late = Stopwatch.GetElapsedTime(deadline);
            return StepResult.Ok(latency: late > TimeSpan.Zero ? late : TimeSpan.Zero);
        })
        { Timeout = period + TimeSpan.FromSeconds(10) > RunLimits.MaxStepTimeout ? RunLimits.MaxStepTimeout : period + TimeSpan.FromSeconds(10) };

        return new Scenario(Name, [create, purged])
        {
            Init = async context =>
            {
                var tenant = await GatewayTargets.CreateTenantAsync(context);
                await GatewayTargets.Api(context, context.Settings.Urls[0]).SetRetentionAsync(tenant.OwnerToken, period, context.Aborted);
            },
            LoadSimulations = ScenarioCatalog.DefaultLoad(settings, defaultCopies: 20),
            MaxCopies = settings.Concurrency ?? 20,
        };
    }

    private sealed record Created(string ConversationId, long AckedAt);
}
