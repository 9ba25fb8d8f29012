using System.Globalization;

namespace ChatCluster.LoadTests.Gateway;

/// <summary>
/// The server side of "work per message" (issue 13 item 2): Orleans' own counters read from the Prometheus endpoint
/// (<c>GET /metrics</c>) of every ChatCluster process of the target (the embedded gateway hosts its silo; in cluster
/// mode the gateway is the Orleans client and the silos host the grains). Read as differences since the previous
/// read, named <c>server:&lt;process&gt;:&lt;counter&gt;</c>, so the report divides them by delivered messages.
/// </summary>
public sealed class ServerCounters(HttpMessageInvoker http, IReadOnlyList<(string Process, Uri Metrics)> sources)
{
    /// <summary>What each counter is, by the Prometheus series it sums (all label sets, or those containing the filter).</summary>
    public static readonly (string Name, string Series, string? LabelFilter)[] Read =
    [
        // Requests and one-way calls that reached a grain (dispatcher, grain context): the grain calls.
        ("grain_calls", "orleans_messaging_processing_dispatcher_received_total", "Context=\"Grain\""),
        // Calls this process made and timed as a caller (the gateway's calls into the cluster, grain-to-grain calls).
        ("calls_made", "orleans_app_requests_latency_milliseconds_count", null),
        // Events added to stream queue caches: the stream hops.
        ("stream_events", "orleans_streams_queue_cache_messages_added_total", null),
        ("storage_writes", "orleans_storage_write_latency_milliseconds_count", null),
    ];

    private readonly Dictionary<string, double> _last = new(StringComparer.Ordinal);

    public const string Prefix = "server:";

    /// <summary>Counts since the previous call (the first call only sets the baseline and returns nothing).</summary>
    public async Task<Dictionary<string, long>> ReadAndResetAsync(CancellationToken cancellationToken)
    {
        var deltas = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (process, url) in sources)
        {
            string text;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                using var response = await http.SendAsync(request, timeout.Token);
                if (!response.IsSuccessStatusCode) continue;
                text = await response.Content.ReadAsStringAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException) { continue; }
            foreach (var (name, series, filter) in Read)
            {
                var key = $"{Prefix}{process}:{name}";
                var value = Sum(text, series, filter);
                if (value is null) continue;
                if (_last.TryGetValue(key, out var previous)) deltas[key] = (long)Math.Max(0, value.Value - previous);
                _last[key] = value.Value;
            }
        }
        return deltas;
    }

    /// <summary>Sum of a series over its label sets (Prometheus text format), or null when the process has no such series.</summary>
    public static double? Sum(string prometheusText, string series, string? labelFilter)
    {
        double? total = null;
        foreach (var raw in prometheusText.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.Length == 0 || line[0] == '#' || !line.StartsWith(series, StringComparison.Ordinal)) continue;
            var brace = line.IndexOf('{');
            var close = line.LastIndexOf('}');
            var name = brace >= 0 ? line[..brace] : line.Split(' ')[0];
            if (name != series) continue;
            if (labelFilter is not null && (brace < 0 || !line[brace..(close + 1)].Contains(labelFilter, StringComparison.Ordinal))) continue;
            var rest = (close >= 0 ? line[(close + 1)..] : line[name.Length..]).Trim().Split(' ')[0];
            if (double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) total = (total ?? 0) + v;
        }
        return total;
    }
}
