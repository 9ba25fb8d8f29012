using Orleans.Concurrency;

namespace ChatCluster.Grains;

[StatelessWorker]
public sealed class ClusterProbeGrain(TimeProvider time) : Grain, IClusterProbeGrain
{
    public Task<DateTimeOffset> Ping() => Task.FromResult(time.GetUtcNow());
}
