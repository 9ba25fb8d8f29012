namespace ChatCluster.Gateway.Delivery;

/// <summary>
/// How a socket that may have missed events retries catching up from the conversation log: 250 ms doubling to
/// 2 s, so it is caught up within about a second of the conversation's grain answering again (a silo's death is
/// declared in seconds), and after <see cref="GiveUpAfter"/> of failures the client is told to resume instead.
/// </summary>
public static class FollowerRetry
{
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(2);

    /// <summary>Roughly how long a follower keeps retrying by itself.</summary>
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(30);

    /// <summary>The pause after the <paramref name="attempt"/>-th failure in a row (1-based).</summary>
    public static TimeSpan Delay(int attempt) =>
        TimeSpan.FromTicks(Math.Min(Longest.Ticks, First.Ticks << Math.Min(attempt - 1, 16)));

    /// <summary>True once the failures so far have taken about <see cref="GiveUpAfter"/> of pauses.</summary>
    public static bool GivesUp(int attempt)
    {
        var waited = TimeSpan.Zero;
        for (var i = 1; i < attempt; i++) waited += Delay(i);
        return waited >= GiveUpAfter;
    }
}
