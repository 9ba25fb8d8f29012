using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace ChatCluster.Silo.Hosting;

/// <summary>
/// Membership timing for cluster mode (C6): a killed silo is declared dead in seconds rather than
/// Orleans' default of about a minute, so its conversations reactivate elsewhere while the visitor
/// is still looking at the widget. The values and the arithmetic are in docs/architecture.md
/// ("Noticing a dead silo"); change both together.
/// </summary>
public static class FailureDetection
{
    /// <summary>First probe timeout; Orleans adapts it per silo between half and four times this.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Missed probes before a silo suspects its peer.</summary>
    public const int NumMissedProbesLimit = 2;

    /// <summary>Suspicions needed to declare a silo dead (Orleans caps it at the number of live silos).</summary>
    public const int NumVotesForDeathDeclaration = 2;

    /// <summary>How long a suspicion counts; must comfortably exceed the time two silos need to vote.</summary>
    public static readonly TimeSpan DeathVoteExpirationTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Heartbeat written to <c>orleans_membership.i_am_alive_time</c>.</summary>
    public static readonly TimeSpan IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often silos re-read the membership table, a fallback to gossip.</summary>
    public static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often a gateway re-reads the list of silo gateways from the membership table.</summary>
    public static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(2);

    /// <summary>How often a gateway re-reads the cluster manifest (the live silos); Orleans' default is a minute.</summary>
    public static readonly TimeSpan ManifestRefreshPeriod = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Default of <c>ChatCluster:Silo:ResponseTimeout</c> for every grain call: a call stuck on a silo that just died
    /// fails after this instead of Orleans' 30 s. The chat path itself is shorter still
    /// (<c>IConversationGrain.ChatPathTimeout</c>, 2 s); 5 s leaves room for first activations on a cold, busy silo.
    /// </summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(5);

    public const string ResponseTimeoutKey = ChatSiloOptions.Section + ":" + nameof(ChatSiloOptions.ResponseTimeout);

    /// <summary>The configured response timeout; refuses to start on one outside 0.5–120 s, naming the key.</summary>
    public static TimeSpan ValidResponseTimeout(ChatSiloOptions options)
    {
        if (options.ResponseTimeout < TimeSpan.FromMilliseconds(500) || options.ResponseTimeout > TimeSpan.FromMinutes(2))
            throw new OptionsValidationException(ResponseTimeoutKey, typeof(ChatSiloOptions),
                [$"{ResponseTimeoutKey} is {options.ResponseTimeout}; it must be between 00:00:00.5 and 00:02:00, e.g. 00:00:05."]);
        return options.ResponseTimeout;
    }

    public static void Apply(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = ProbeTimeout;
        options.NumMissedProbesLimit = NumMissedProbesLimit;
        options.NumVotesForDeathDeclaration = NumVotesForDeathDeclaration;
        options.DeathVoteExpirationTimeout = DeathVoteExpirationTimeout;
        options.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
        options.TableRefreshTimeout = TableRefreshTimeout;
    }
}
