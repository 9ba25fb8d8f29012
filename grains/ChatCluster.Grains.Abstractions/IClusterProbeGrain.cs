namespace ChatCluster;

/// <summary>Answers health checks: a gateway that gets a reply can reach the cluster.</summary>
public interface IClusterProbeGrain : IGrainWithIntegerKey
{
    Task<DateTimeOffset> Ping();
}
