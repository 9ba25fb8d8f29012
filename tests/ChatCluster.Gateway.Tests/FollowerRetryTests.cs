using ChatCluster.Gateway.Delivery;

namespace ChatCluster.Gateway.Tests;

/// <summary>C7: a socket that may have missed events keeps trying to catch up, quickly at first, and gives up only after about 30 s.</summary>
public sealed class FollowerRetryTests
{
    [Fact]
    public void A_failed_catch_up_is_retried_after_250_ms_doubling_to_at_most_2_s()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(250), FollowerRetry.Delay(1));
        Assert.Equal(TimeSpan.FromMilliseconds(500), FollowerRetry.Delay(2));
        Assert.Equal(TimeSpan.FromSeconds(1), FollowerRetry.Delay(3));
        Assert.Equal(TimeSpan.FromSeconds(2), FollowerRetry.Delay(4));
        Assert.Equal(TimeSpan.FromSeconds(2), FollowerRetry.Delay(40));
    }

    [Fact]
    public void A_follower_asks_its_client_to_resume_only_after_about_30_s_of_failures()
    {
        var attempts = 1;
        var waited = TimeSpan.Zero;
        while (!FollowerRetry.GivesUp(attempts))
        {
            waited += FollowerRetry.Delay(attempts);
            attempts++;
        }
        Assert.InRange(waited, FollowerRetry.GiveUpAfter, FollowerRetry.GiveUpAfter + FollowerRetry.Longest);
        Assert.False(FollowerRetry.GivesUp(1));
    }
}
