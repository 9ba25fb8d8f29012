namespace ChatCluster.Insights;

/// <summary>A tenant's choices about optional AI features (A2). Keyed by <c>{tenantId}</c>. Off until an admin turns it on.</summary>
public interface ITenantAiSettingsGrain : IGrainWithStringKey
{
    Task<AiSettings> Get();

    /// <summary>
    /// Stores <paramref name="settings"/> and, if any flag changed, audits it as <c>AiSettingsChanged</c> by
    /// <paramref name="actor"/> (R7: turning AI processing on decides what may leave for a provider). Setting the
    /// same values again changes nothing and writes no entry.
    /// </summary>
    Task<AiSettings> Set(AiSettings settings, string actor);

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

    /// <summary>
    /// The flags that differ from <paramref name="before"/>, as <c>enabled=true (was false)</c>, space-separated;
    /// null when none does. Flags only: safe for the audit log.
    /// </summary>
    public string? ChangesFrom(AiSettings before)
    {
        var changes = new List<string>(2);
        if (Enabled != before.Enabled) changes.Add($"enabled={Flag(Enabled)} (was {Flag(before.Enabled)})");
        if (ModelTrainingOptOut != before.ModelTrainingOptOut)
            changes.Add($"modelTrainingOptOut={Flag(ModelTrainingOptOut)} (was {Flag(before.ModelTrainingOptOut)})");
        return changes.Count == 0 ? null : string.Join(' ', changes);
    }

    private static string Flag(bool value) => value ? "true" : "false";
}
