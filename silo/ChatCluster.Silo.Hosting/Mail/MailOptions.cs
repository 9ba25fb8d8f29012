using ChatCluster.Grains.Mail;

namespace ChatCluster.Silo.Hosting.Mail;

/// <summary>
/// Section <c>ChatCluster:Mail</c>. With <c>Smtp:Host</c> set, mail goes out over SMTP (MailKit) and no copy is
/// kept; otherwise (the embedded default) each mail is written as an <c>.eml</c> file to <see cref="OutboxPath"/>.
/// </summary>
public sealed class MailOptions
{
    public const string Section = "ChatCluster:Mail";

    /// <summary>The R6 ceiling: no kept mail outlives two years.</summary>
    public static readonly TimeSpan MaximumKeepFor = TimeSpan.FromDays(730);

    public string OutboxPath { get; set; } = "./.outbox";

    public string FromAddress { get; set; } = "no-reply@chatcluster.local";

    public string FromName { get; set; } = "ChatCluster";

    /// <summary>How long an outbox file is kept (R6); at most two years.</summary>
    public TimeSpan KeepFor { get; set; } = MaximumKeepFor;

    /// <summary>How often the outbox is swept for files older than <see cref="KeepFor"/>.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>How a transcript whose mail failed transiently is tried again (<c>ChatCluster:Mail:Retry</c>).</summary>
    public MailRetryOptions Retry { get; set; } = new();

    /// <summary>How much transcript mail a tenant sends per day (<c>ChatCluster:Mail:TranscriptLimits</c>, issue 15).</summary>
    public TranscriptLimitOptions TranscriptLimits { get; set; } = new();

    public IEnumerable<string> Problems()
    {
        if (KeepFor <= TimeSpan.Zero || KeepFor > MaximumKeepFor) yield return $"{Section}:KeepFor must be positive and at most 730 days (R6).";
        if (SweepInterval < TimeSpan.FromSeconds(1)) yield return $"{Section}:SweepInterval must be at least one second.";
        if (string.IsNullOrWhiteSpace(OutboxPath)) yield return $"{Section}:OutboxPath must not be empty.";
        if (Smtp.Host is { Length: > 0 } && Smtp.Port is <= 0 or > 65535) yield return $"{Section}:Smtp:Port must be a TCP port.";
        if (Smtp.Host is { Length: > 0 } && !SmtpOptions.SecurityModes.Contains(Smtp.Security))
            yield return $"{SmtpOptions.Section}:Security is '{Smtp.Security}'; use one of {string.Join(", ", SmtpOptions.SecurityModes)}.";
        if (Smtp.Timeout < TimeSpan.FromSeconds(1) || Smtp.Timeout > SmtpOptions.MaximumTimeout)
            yield return $"{SmtpOptions.Section}:Timeout must be between 1 second and {SmtpOptions.MaximumTimeout.TotalSeconds:0} seconds: closing a conversation waits for the mail, and Orleans gives up on a call after 30 seconds.";
        foreach (var problem in Retry.Problems()) yield return problem;
        foreach (var problem in TranscriptLimits.Problems()) yield return problem;
    }
}

public sealed class SmtpOptions
{
    public const string Section = MailOptions.Section + ":Smtp";

    public static readonly IReadOnlyList<string> SecurityModes = ["Auto", "StartTls", "SslOnConnect", "None"];

    /// <summary>Below Orleans' 30-second call timeout, so a hung mail server cannot time out the close that waits for it.</summary>
    public static readonly TimeSpan MaximumTimeout = TimeSpan.FromSeconds(25);

    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    /// <summary><c>Auto</c> (STARTTLS when offered), <c>StartTls</c>, <c>SslOnConnect</c> or <c>None</c>.</summary>
    public string Security { get; set; } = "Auto";

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>The longest a whole send (connect, login, message, quit) may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
}
