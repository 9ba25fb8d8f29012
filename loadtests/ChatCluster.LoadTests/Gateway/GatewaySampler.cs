using System.Globalization;
using System.Text.Json.Nodes;
using ChatCluster.LoadTests.Reporting;

namespace ChatCluster.LoadTests.Gateway;

/// <summary>
/// Watches gateways during a run, once a second: open connections from <c>GET /health</c> and, for a
/// gateway process on this machine, its resident memory (VmRSS from /proc/&lt;pid&gt;/status: the gateway has
/// no metrics endpoint yet). The first sample, before any load, is the baseline; memory per connection is
/// (RSS at the peak of connections − baseline) / peak connections, so it includes everything the process
/// holds for a connection: Kestrel, the socket, the session, and in the embedded default the visitor grain.
/// </summary>
public sealed class GatewaySampler : IAsyncDisposable
{
    private readonly IReadOnlyList<(Uri Url, int? ProcessId)> _gateways;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Sample?[] _baseline;
    private readonly Sample?[] _peak;
    private readonly long[] _maxRss;

    private sealed record Sample(long Connections, long? RssBytes);

    private GatewaySampler(IReadOnlyList<(Uri, int?)> gateways, Sample?[] baseline)
    {
        _gateways = gateways;
        _baseline = baseline;
        _peak = new Sample?[gateways.Count];
        _maxRss = new long[gateways.Count];
        _loop = LoopAsync();
    }

    public static async Task<GatewaySampler> StartAsync(IReadOnlyList<(Uri Url, int? ProcessId)> gateways, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var baseline = new Sample?[gateways.Count];
        for (var i = 0; i < gateways.Count; i++) baseline[i] = await TakeAsync(http, gateways[i], cancellationToken);
        return new GatewaySampler(gateways, baseline);
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                for (var i = 0; i < _gateways.Count; i++)
                {
                    var sample = await TakeAsync(_http, _gateways[i], _stop.Token);
                    if (sample is null) continue;
                    if (sample.RssBytes is { } rss) _maxRss[i] = Math.Max(_maxRss[i], rss);
                    // The latest sample at the highest connection count: memory has settled there.
                    if (_peak[i] is null || sample.Connections >= _peak[i]!.Connections) _peak[i] = sample;
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private static async Task<Sample?> TakeAsync(HttpClient http, (Uri Url, int? ProcessId) gateway, CancellationToken cancellationToken)
    {
        long connections = -1;
        try
        {
            var health = JsonNode.Parse(await http.GetStringAsync(new Uri(gateway.Url, "/health"), cancellationToken));
            connections = health?["connections"]?.GetValue<long>() ?? -1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            if (cancellationToken.IsCancellationRequested) return null;
        }
        return connections < 0 ? null : new Sample(connections, gateway.ProcessId is { } pid ? ReadRss(pid) : null);
    }

    /// <summary>VmRSS of a process, in bytes; null when /proc is not readable (not Linux, or the process is gone).</summary>
    public static long? ReadRss(int processId)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{processId}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                var kb = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException) { }
        return null;
    }

    /// <summary>Stops sampling and returns what was seen, one group of measurements per gateway.</summary>
    public async Task<List<TargetMeasurement>> FinishAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        var result = new List<TargetMeasurement>();
        for (var i = 0; i < _gateways.Count; i++)
        {
            var label = _gateways.Count == 1 ? "gateway" : $"gateway {i + 1}";
            var (baseline, peak) = (_baseline[i], _peak[i]);
            if (peak is null) continue;
            result.Add(new(label, "peak connections (/health)", peak.Connections, "connections"));
            if (baseline?.RssBytes is not { } before || peak.RssBytes is not { } at)
            {
                result.Add(new(label, "memory", 0, "", "not measured: the gateway process is not on this machine or not ours (pass --gateway-pid)"));
                continue;
            }
            result.Add(new(label, "RSS before load", Math.Round(before / 1048576.0, 1), "MiB"));
            result.Add(new(label, "RSS at peak connections", Math.Round(at / 1048576.0, 1), "MiB"));
            result.Add(new(label, "RSS max", Math.Round(_maxRss[i] / 1048576.0, 1), "MiB"));
            if (peak.Connections > 0)
                result.Add(new(label, "memory per connection", Math.Round((at - before) / 1024.0 / peak.Connections, 2), "KiB",
                    "(RSS at peak − RSS before load) / peak connections; VmRSS from /proc/<pid>/status"));
        }
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await FinishAsync();
        _stop.Dispose();
        _http.Dispose();
    }
}
