using System.ComponentModel.DataAnnotations;

namespace ChatCluster.Gateway.Integrations;

/// <summary><c>ChatCluster:ApiKeys</c>: how often one key may call the REST API (per gateway).</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "ChatCluster:ApiKeys";

    [Range(1, 1_000_000)]
    public int RequestsPerMinute { get; set; } = 600;

    /// <summary>How many calls a key may make at once after a quiet spell.</summary>
    [Range(1, 100_000)]
    public int Burst { get; set; } = 60;

    /// <summary>The largest request body the REST API reads.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 64 * 1024;
}
