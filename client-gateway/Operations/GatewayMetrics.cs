using System.Diagnostics.Metrics;
using ChatCluster.Gateway.Sockets;

namespace ChatCluster.Gateway.Operations;

/// <summary>
/// The gateway's own instruments (meter <c>ChatCluster.Gateway</c>), scraped at <c>/metrics</c>:
/// open sockets, messages accepted, and delivery latency from the grain's accept time (<c>sentAt</c>)
/// to the frame written on a receiving socket. Counts and timings only: no ids, no tenants, no text.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "ChatCluster.Gateway";

    private readonly Counter<long> accepted;
    private readonly Counter<long> refusedBehind;
    private readonly Histogram<double> latency;
    private readonly TimeProvider time;

    public GatewayMetrics(IMeterFactory meters, ConnectionRegistry connections, TimeProvider time)
    {
        this.time = time;
        var meter = meters.Create(MeterName);
        meter.CreateObservableUpDownCounter("chatcluster.gateway.connections", () => connections.Count, "{connection}",
            "WebSocket connections open on this gateway.");
        accepted = meter.CreateCounter<long>("chatcluster.gateway.messages.accepted", "{message}",
            "Messages the conversation accepted durably and this gateway acknowledged (resends not counted).");
        refusedBehind = meter.CreateCounter<long>("chatcluster.gateway.messages.refused_behind", "{message}",
            "Sends refused with rate_limited because they waited longer than MaxDeliveryLag behind their conversation's earlier frames.");
        latency = meter.CreateHistogram<double>("chatcluster.gateway.delivery.latency", "ms",
            "From the conversation accepting a message to its frame written on a receiving socket (live delivery, not resumes).",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] });
    }

    public void MessageAccepted() => accepted.Add(1);

    public void SendRefusedBehind() => refusedBehind.Add(1);

    /// <summary>A live message frame went out; <paramref name="sentAtMillis"/> is its accept time (Unix ms, the silo's clock).</summary>
    public void MessageDelivered(long sentAtMillis) =>
        latency.Record(Math.Max(0, time.GetUtcNow().ToUnixTimeMilliseconds() - sentAtMillis));
}
