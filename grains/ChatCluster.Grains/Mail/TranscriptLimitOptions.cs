namespace ChatCluster.Grains.Mail;

/// <summary>
/// Section <c>ChatCluster:Mail:TranscriptLimits</c>: how much transcript mail a tenant's sender sends per UTC day (W5,
/// issue 15), so a script holding the public site key cannot use <c>start {email}</c> → <c>close</c> as a mail relay.
/// A conversation that gives an email takes one allowance at its start (a confirmation code mail and its transcript
/// count once); beyond any of the three limits the conversation is started without a transcript.
/// </summary>
public sealed class TranscriptLimitOptions
{
    public const string Section = "ChatCluster:Mail:TranscriptLimits";

    /// <summary>Transcripts to one address from one tenant per day.</summary>
    public int PerAddressPerDay { get; set; } = 5;

    /// <summary>Transcripts one visitor may ask for per day, to whatever addresses.</summary>
    public int PerVisitorPerDay { get; set; } = 5;

    /// <summary>Transcripts one tenant sends per day, to all addresses together.</summary>
    public int PerTenantPerDay { get; set; } = 1000;

    public IEnumerable<string> Problems()
    {
        if (PerAddressPerDay is < 1 or > 10_000) yield return $"{Section}:PerAddressPerDay must be between 1 and 10000.";
        if (PerVisitorPerDay is < 1 or > 10_000) yield return $"{Section}:PerVisitorPerDay must be between 1 and 10000.";
        if (PerTenantPerDay is < 1 or > 1_000_000) yield return $"{Section}:PerTenantPerDay must be between 1 and 1000000.";
    }
}
