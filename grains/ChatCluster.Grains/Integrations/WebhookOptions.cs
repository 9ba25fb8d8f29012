namespace ChatCluster.Grains.Integrations;

/// <summary><c>ChatCluster:Webhooks</c>: how deliveries are sent, retried and given up (I2). Checked at start.</summary>
public sealed class WebhookOptions
{
    public const string Section = "ChatCluster:Webhooks";

    /// <summary>How long one delivery may take before it counts as failed (at most 30 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The first retry waits this long; each further one twice as long, up to <see cref="MaximumDelay"/>.</summary>
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaximumDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A delivery not accepted this long after its event is abandoned (at most 3 days): its payload may hold personal data.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromDays(1);

    /// <summary>An endpoint that failed this many times in a row is disabled, with the reason shown to the admin.</summary>
    public int DisableAfterFailures { get; set; } = 20;

    /// <summary>Lets endpoints in private, loopback and link-local ranges receive deliveries (tests, closed networks).</summary>
    public bool AllowPrivateTargets { get; set; }

    public int MaxEndpointsPerTenant { get; set; } = 10;

    /// <summary>Deliveries of one tenant in flight at once.</summary>
    public int MaxConcurrentDeliveries { get; set; } = 8;

    /// <summary>Delivery records kept per endpoint for the log.</summary>
    public int LogSize { get; set; } = 100;

    public IEnumerable<string> Problems()
    {
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromSeconds(30)) yield return $"{Section}:Timeout must be more than 0 and at most 00:00:30.";
        if (FirstDelay < TimeSpan.FromMilliseconds(10)) yield return $"{Section}:FirstDelay must be at least 00:00:00.01.";
        if (MaximumDelay < FirstDelay) yield return $"{Section}:MaximumDelay must be at least FirstDelay.";
        if (GiveUpAfter <= TimeSpan.Zero || GiveUpAfter > TimeSpan.FromDays(3)) yield return $"{Section}:GiveUpAfter must be more than 0 and at most 3.00:00:00.";
        if (DisableAfterFailures is < 1 or > 10_000) yield return $"{Section}:DisableAfterFailures must be 1 to 10000.";
        if (MaxEndpointsPerTenant is < 1 or > 100) yield return $"{Section}:MaxEndpointsPerTenant must be 1 to 100.";
        if (MaxConcurrentDeliveries is < 1 or > 64) yield return $"{Section}:MaxConcurrentDeliveries must be 1 to 64.";
        if (LogSize is < 1 or > 1000) yield return $"{Section}:LogSize must be 1 to 1000.";
    }

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1: 10 s, 20 s, 40 s, … up to the maximum.</summary>
    public TimeSpan DelayAfter(int attempt) =>
        TimeSpan.FromTicks((long)Math.Min(MaximumDelay.Ticks, FirstDelay.Ticks * Math.Pow(2, Math.Max(0, attempt - 1))));
}
