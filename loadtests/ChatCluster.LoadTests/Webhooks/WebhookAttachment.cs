using System.Globalization;
using ChatCluster.LoadTests.Gateway;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Scenarios;

namespace ChatCluster.LoadTests.Webhooks;

/// <summary>
/// <c>--webhook none|fast|slow</c> of the chat scenario (I2: "chat p99 with a slow receiver attached stays within
/// noise", "delivery p99 ≤ 1 s from the event"). The coordinating process starts a <see cref="WebhookReceiver"/>, lets
/// the gateway it starts deliver to loopback, and every process registers the receiver for <c>message.created</c> on
/// each of its tenants; the report's Target section gets the receiver's delivery delay.
/// </summary>
public static class WebhookAttachment
{
    public static readonly ScenarioOption Mode = new("webhook", "none | fast | slow: a loopback webhook receiver on every tenant (message.created) that answers 200 at once (fast) or after --webhook-delay (slow); the report adds the delivery delay from the event", "none");
    public static readonly ScenarioOption Delay = new("webhook-delay", "with --webhook slow: how long the receiver waits before it answers, in ms", "2000");
    public static readonly ScenarioOption Url = new("webhook-url", "the receiver the run registers on its tenants (set by --webhook; with --url the gateway must allow loopback targets, ChatCluster__Webhooks__AllowPrivateTargets)", "");

    private const string AllowPrivate = "AllowPrivateTargets";

    /// <summary>The receiver's answer delay, or null without --webhook.</summary>
    public static TimeSpan? AnswerDelay(RunSettings settings)
    {
        var mode = settings.ScenarioOptions.TryGetValue(Mode.Name, out var m) ? m.ToLowerInvariant() : "none";
        return mode switch
        {
            "none" => null,
            "fast" => TimeSpan.Zero,
            "slow" => int.TryParse(settings.Option(Delay.Name), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is >= 1 and <= 30_000
                ? TimeSpan.FromMilliseconds(ms)
                : throw new ArgumentException("--webhook-delay must be 1 to 30000 (ms)."),
            _ => throw new ArgumentException($"--webhook must be none, fast or slow, not '{mode}'."),
        };
    }

    /// <summary>The chat scenario's targets, with the receiver started first when --webhook asks for one.</summary>
    public static async Task<TargetLease> ProvideAsync(RunSettings settings, CancellationToken cancellationToken)
    {
        if (AnswerDelay(settings) is not { } delay) return await GatewayTargets.ProvideAsync(settings, new Dictionary<string, string>(), cancellationToken);
        var receiver = await WebhookReceiver.StartAsync(delay, cancellationToken);
        TargetLease lease;
        try
        {
            // The webhooks grain runs in the embedded gateway or, with --target postgres, in the silo: both may target loopback.
            lease = await GatewayTargets.ProvideAsync(settings,
                new Dictionary<string, string> { ["ChatCluster__Webhooks__" + AllowPrivate] = "true" }, cancellationToken,
                new Dictionary<string, string> { ["ChatCluster:Webhooks:" + AllowPrivate] = "true" });
        }
        catch
        {
            await receiver.DisposeAsync();
            throw;
        }
        return new TargetLease(lease.Urls, lease.Label + (delay > TimeSpan.Zero ? $" + a slow webhook receiver ({delay.TotalMilliseconds:0} ms)" : " + a fast webhook receiver"),
            new Both(lease, receiver))
        {
            Options = new Dictionary<string, string>(lease.Options) { [Url.Name] = receiver.Url.ToString() },
            Measure = async () =>
            {
                var measured = lease.Measure is null ? new List<Reporting.TargetMeasurement>() : await lease.Measure();
                measured.AddRange(receiver.Measurements());
                return measured;
            },
        };
    }

    /// <summary>Scenario init: registers the receiver (--webhook-url) on every tenant of this process.</summary>
    public static async Task RegisterAsync(ScenarioContext context, IReadOnlyList<LoadTenant> tenants)
    {
        var url = context.Settings.ScenarioOptions.TryGetValue(Url.Name, out var given) ? given : "";
        if (url.Length == 0) return;
        var api = GatewayTargets.Api(context, context.Settings.Urls[0]);
        foreach (var tenant in tenants)
            await api.RegisterWebhookAsync(tenant.OwnerToken, new Uri(url), ["message.created"], context.Aborted);
    }

    private sealed class Both(TargetLease lease, WebhookReceiver receiver) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await lease.DisposeAsync();
            await receiver.DisposeAsync();
        }
    }
}
