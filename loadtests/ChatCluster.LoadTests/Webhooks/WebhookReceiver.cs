using System.Collections.Concurrent;
using System.Text.Json;
using ChatCluster.LoadTests.Reporting;
using ChatCluster.LoadTests.Stats;
using HdrHistogram;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ChatCluster.LoadTests.Webhooks;

/// <summary>
/// The site's own server that a chat run attaches with <c>--webhook fast|slow</c>: a loopback HTTP listener in the
/// harness's coordinating process. For every delivery it records the arrival against the event's own time (the
/// payload's <c>createdAt</c>, which for <c>message.created</c> is the message's <c>sentAt</c> on the server: one machine,
/// one clock), then answers 200 at once or after <see cref="AnswerDelay"/>. A retry (same <c>ChatCluster-Delivery</c>)
/// is counted but not timed again: the delay is to the first arrival.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Source = "webhook receiver";

    private readonly WebApplication app;
    private readonly LongHistogram delays = LatencyHistograms.Create();
    private readonly Lock histogramLock = new();
    private readonly ConcurrentDictionary<string, byte> seen = new(StringComparer.Ordinal);
    private long requests;
    private long repeats;
    private long unreadable;

    private WebhookReceiver(TimeSpan answerDelay)
    {
        AnswerDelay = answerDelay;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapPost("/webhook", Take);
    }

    public TimeSpan AnswerDelay { get; }

    public Uri Url { get; private set; } = null!;

    public static async Task<WebhookReceiver> StartAsync(TimeSpan answerDelay, CancellationToken cancellationToken)
    {
        var receiver = new WebhookReceiver(answerDelay);
        await receiver.app.StartAsync(cancellationToken);
        var address = receiver.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(address.TrimEnd('/') + "/webhook");
        return receiver;
    }

    private async Task Take(HttpContext http)
    {
        var arrived = DateTimeOffset.UtcNow;
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        Record(arrived, body.GetBuffer().AsSpan(0, (int)body.Length), http.Request.Headers["ChatCluster-Delivery"].ToString());
        if (AnswerDelay > TimeSpan.Zero)
        {
            try { await Task.Delay(AnswerDelay, http.RequestAborted); }
            catch (OperationCanceledException) { return; } // the gateway gave up waiting (its timeout) or the run ended
        }
        http.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>Counts one request and, on a delivery's first arrival, times it from the event.</summary>
    internal void Record(DateTimeOffset arrived, ReadOnlySpan<byte> body, string deliveryId)
    {
        Interlocked.Increment(ref requests);
        if (deliveryId.Length > 0 && !seen.TryAdd(deliveryId, 0))
        {
            Interlocked.Increment(ref repeats);
            return;
        }
        if (!TryReadCreatedAt(body, out var createdAt))
        {
            Interlocked.Increment(ref unreadable);
            return;
        }
        var micros = LatencyHistograms.ToMicros(arrived - createdAt);
        lock (histogramLock) delays.RecordValue(micros);
    }

    /// <summary>The top-level <c>createdAt</c> of a delivery's JSON body.</summary>
    internal static bool TryReadCreatedAt(ReadOnlySpan<byte> body, out DateTimeOffset createdAt)
    {
        createdAt = default;
        try
        {
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("createdAt"u8))
                    return reader.Read() && reader.TryGetDateTimeOffset(out createdAt);
            }
        }
        catch (JsonException)
        {
        }
        return false;
    }

    /// <summary>What the run report shows under "Target": requests, retries and the delivery delay's percentiles.</summary>
    public List<TargetMeasurement> Measurements()
    {
        lock (histogramLock)
        {
            var timed = delays.TotalCount;
            double At(double percentile) => timed == 0 ? 0 : LatencyHistograms.Millis(delays.GetValueAtPercentile(percentile));
            var answer = AnswerDelay > TimeSpan.Zero ? $"answers 200 after {AnswerDelay.TotalMilliseconds:0} ms" : "answers 200 at once";
            const string how = "first arrival at the receiver − the event's createdAt (the message's sentAt), one clock";
            return
            [
                new(Source, "requests received", Interlocked.Read(ref requests), "requests", answer + "; retries included"),
                new(Source, "deliveries timed", timed, "deliveries", "message.created, first arrivals only"),
                new(Source, "retried deliveries", Interlocked.Read(ref repeats), "requests", "same ChatCluster-Delivery id again"),
                new(Source, "unreadable bodies", Interlocked.Read(ref unreadable), "requests", "no top-level createdAt"),
                new(Source, "delivery delay p50", At(50), "ms", how),
                new(Source, "delivery delay p99", At(99), "ms", how),
                new(Source, "delivery delay max", timed == 0 ? 0 : LatencyHistograms.Millis(delays.GetMaxValue()), "ms", how),
            ];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(TimeSpan.FromSeconds(2));
        await app.DisposeAsync();
    }
}
