namespace ChatCluster.Gateway.Presence;

/// <summary>
/// Section <c>ChatCluster:Redis</c>. When <see cref="ConnectionString"/> is set the gateway fans
/// presence out through Redis (C4); otherwise presence stays in this process.
/// </summary>
public sealed class RedisOptions
{
    public const string Section = "ChatCluster:Redis";
    public const string ConnectionStringKey = Section + ":ConnectionString";

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or <c>redis:6379,password=…</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How often a gateway rewrites its presence keys and re-reads the other gateways'.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Lifetime of a gateway's presence keys without a heartbeat. A gateway that dies without saying
    /// goodbye disappears from every other gateway within <c>PresenceTtl + HeartbeatInterval</c> (20 s).
    /// </summary>
    public TimeSpan PresenceTtl { get; set; } = TimeSpan.FromSeconds(15);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(ConnectionString);
}
