using System.Data.Common;
using System.Net.Sockets;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// Which exceptions mean "the database failed, nothing is wrong with the request" (server down or restarting, pool
/// exhausted, network cut, a statement timed out), and the one retryable error they become at a grain boundary.
/// </summary>
public static class DatabaseFaults
{
    /// <summary>How soon a client may try again after a database fault: long enough not to hammer a restarting server.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>Whether <paramref name="exception"/> or anything inside it is a database or connection fault.</summary>
    public static bool IsDatabaseFault(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException or SocketException) return true;
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(IsDatabaseFault)) return true;
        }
        return false;
    }

    public static ChatRuleException Unavailable(string what) =>
        ChatRuleException.Unavailable($"{what}: the database is unavailable; retry (a resent message is stored once).", RetryAfter);
}
