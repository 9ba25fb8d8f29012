namespace ChatCluster.Grains.Mail;

/// <summary>
/// Section <c>ChatCluster:Mail:Retry</c>: how a transcript whose mail failed transiently is tried again (W5). The waits
/// grow from <see cref="FirstDelay"/> fourfold up to <see cref="MaximumDelay"/> (1 min, 4 min, 16 min, 1 h, 1 h, …); once
/// the next try would come later than <see cref="GiveUpAfter"/> after the first failure, the transcript is abandoned.
/// </summary>
public sealed class MailRetryOptions
{
    public const string Section = "ChatCluster:Mail:Retry";

    /// <summary>A transcript that arrives more than a week after the chat is no longer worth sending.</summary>
    public static readonly TimeSpan LongestGiveUpAfter = TimeSpan.FromDays(7);

    private const int Growth = 4;

    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaximumDelay { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The wait after the <paramref name="failedAttempts"/>-th failed attempt (1 for the send at close).</summary>
    public TimeSpan DelayAfter(int failedAttempts)
    {
        var delay = FirstDelay;
        for (var i = 1; i < failedAttempts && delay < MaximumDelay; i++) delay *= Growth;
        return delay < MaximumDelay ? delay : MaximumDelay;
    }

    public IEnumerable<string> Problems()
    {
        if (FirstDelay < TimeSpan.FromSeconds(1) || FirstDelay > TimeSpan.FromDays(1))
            yield return $"{Section}:FirstDelay must be between 1 second and 1 day.";
        if (MaximumDelay < FirstDelay || MaximumDelay > TimeSpan.FromDays(1))
            yield return $"{Section}:MaximumDelay must be at least FirstDelay and at most 1 day.";
        if (GiveUpAfter < FirstDelay || GiveUpAfter > LongestGiveUpAfter)
            yield return $"{Section}:GiveUpAfter must be at least FirstDelay and at most 7 days.";
    }
}

/// <summary>What became of transcripts owed after a transient failure; the silo counts it next to the other mail metrics.</summary>
public interface ITranscriptRetryMetrics
{
    /// <summary>A retry reminder tried an owed transcript again (whatever the outcome).</summary>
    void Retried();

    /// <summary>An owed transcript was given up after <see cref="MailRetryOptions.GiveUpAfter"/>.</summary>
    void Abandoned();
}
