namespace ChatCluster.Silo.Hosting;

/// <summary>
/// Where the silo keeps its state. <c>Memory</c> is the embedded default (no server needed);
/// <c>Postgres</c> is the production backbone (C2).
/// </summary>
public enum StorageKind
{
    Memory,
    Postgres,
}

/// <summary>Section <c>ChatCluster:Silo</c>.</summary>
public sealed class ChatSiloOptions
{
    public const string Section = "ChatCluster:Silo";

    public StorageKind Storage { get; set; } = StorageKind.Memory;

    /// <summary>Port silos talk to each other on.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients (gateways) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Orleans cluster id; silos and gateways of one cluster share it.</summary>
    public string ClusterId { get; set; } = "chatcluster";

    /// <summary>
    /// The IP address other silos and gateways reach this silo on (Postgres storage only). Empty:
    /// the machine's first non-loopback address. <c>127.0.0.1</c> for a cluster on one machine.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    public string ServiceId { get; set; } = "chatcluster";

    /// <summary>
    /// How often stream pulling agents look for new events. Memory streams poll their queues, so this
    /// is the floor of event delivery latency; 10 ms keeps chat snappy at a small idle CPU cost.
    /// </summary>
    public TimeSpan StreamPollInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// How long a grain call may take before it fails (Orleans' <c>ResponseTimeout</c> on silos and on the
    /// gateway's client; Orleans' default is 30 s). A call stuck on a silo that died fails after this, is answered
    /// <c>unavailable</c> and is retried by the client, so it bounds how long a chat can stall (C7).
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = FailureDetection.ResponseTimeout;
}
