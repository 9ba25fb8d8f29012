namespace ChatCluster.Insights;

/// <summary>A tenant's choices about optional AI features (A2). Keyed by <c>{tenantId}</c>. Off until an admin turns it on.</summary>
public interface ITenantAiSettingsGrain : IGrainWithStringKey
{
    Task<AiSettings> Get();

    Task<AiSettings> Set(AiSettings settings);

    /// <summary>Deletes the tenant's choices; only account closure (R3) calls it.</summary>
    Task Purge();
}

/// <summary>
/// <see cref="Enabled"/>: AI features may process this tenant's conversations at all (default off).
/// <see cref="ModelTrainingOptOut"/>: the provider is told not to store or train on requests (default on: opted out).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AiSettings(bool Enabled = false, bool ModelTrainingOptOut = true)
{
    public static AiSettings Default { get; } = new();
}
