using HdrHistogram;

namespace ChatCluster.LoadTests.Stats;

/// <summary>
/// Thread-safe accumulator for one step (or for whole iterations). A lock is cheap next to a socket
/// round trip, and keeps totals, the interval histogram and error counts consistent with each other.
/// </summary>
public sealed class StatsCollector(string name, bool keepIntervalHistograms)
{
    private readonly object _gate = new();
    private readonly LongHistogram _total = LatencyHistograms.Create();
    private readonly LongHistogram _interval = LatencyHistograms.Create();
    private readonly Dictionary<string, long> _errors = new(StringComparer.Ordinal);
    private readonly List<IntervalData> _intervals = [];
    private long _ok, _failed, _bytesSent, _bytesReceived, _min = long.MaxValue, _max;
    private double _sum;
    private long _iOk, _iFailed, _iSent, _iReceived;
    private IntervalData? _last;

    public string Name { get; } = name;

    public void RecordOk(long micros, long bytesSent, long bytesReceived)
    {
        micros = Math.Clamp(micros, 1, LatencyHistograms.HighestTrackableMicros);
        lock (_gate)
        {
            _total.RecordValue(micros);
            _interval.RecordValue(micros);
            _ok++; _iOk++;
            _sum += micros;
            if (micros < _min) _min = micros;
            if (micros > _max) _max = micros;
            _bytesSent += bytesSent; _iSent += bytesSent;
            _bytesReceived += bytesReceived; _iReceived += bytesReceived;
        }
    }

    public void RecordFail(string errorCode, long bytesSent, long bytesReceived)
    {
        lock (_gate)
        {
            _failed++; _iFailed++;
            _errors[errorCode] = _errors.GetValueOrDefault(errorCode) + 1;
            _bytesSent += bytesSent; _iSent += bytesSent;
            _bytesReceived += bytesReceived; _iReceived += bytesReceived;
        }
    }

    /// <summary>Closes the time-series bucket ending at <paramref name="second"/> and starts the next.</summary>
    public IntervalData CloseInterval(int second, double lengthSeconds, int activeCopies)
    {
        lock (_gate)
        {
            var (p50, p95, p99, max) = IntervalData.Percentiles(_interval);
            var point = new IntervalData(second, lengthSeconds, _iOk, _iFailed, _iSent, _iReceived, activeCopies,
                p50, p95, p99, max,
                keepIntervalHistograms && _interval.TotalCount > 0 ? LatencyHistograms.Encode(_interval) : null);
            _intervals.Add(point);
            _interval.Reset();
            _iOk = _iFailed = _iSent = _iReceived = 0;
            _last = point;
            return point;
        }
    }

    public (long Ok, long Failed, long BytesSent, long BytesReceived, IntervalData? Last) Live()
    {
        lock (_gate) return (_ok, _failed, _bytesSent, _bytesReceived, _last);
    }

    public StatsData ToData()
    {
        lock (_gate)
        {
            return new StatsData(Name, _ok, _failed, _bytesSent, _bytesReceived,
                _ok == 0 ? 0 : _min, _max, _sum,
                new Dictionary<string, long>(_errors, StringComparer.Ordinal),
                LatencyHistograms.Encode(_total),
                [.. _intervals]);
        }
    }
}
