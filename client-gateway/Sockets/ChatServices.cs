using ChatCluster.Gateway.Abuse;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Delivery;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Gateway.Operations;
using ChatCluster.Gateway.Presence;
using ChatCluster.Gateway.Geo;

namespace ChatCluster.Gateway.Sockets;

/// <summary>What every connection needs, resolved once.</summary>
public sealed class ChatServices(
    IClusterClient grains,
    Feeds feeds,
    ConversationHub conversations,
    DeliveryPressure pressure,
    AgentTokens tokens,
    PresenceTracker presence,
    ConnectionRegistry connections,
    GatewayOptions options,
    SelfOrigins selfOrigins,
    TimeProvider time,
    GatewayMetrics metrics,
    CountryTable countries,
    TenantStandings standings,
    VisitorQuotas quotas,
    ILogger<ChatConnection> logger)
{
    public IClusterClient Grains { get; } = grains;
    public Feeds Feeds { get; } = feeds;

    /// <summary>This gateway's one registration per followed conversation, fanning pushed events out to sockets.</summary>
    public ConversationHub Conversations { get; } = conversations;

    /// <summary>Refuses sends while delivery lags (issue 13 item 7).</summary>
    public DeliveryPressure Pressure { get; } = pressure;
    public AgentTokens Tokens { get; } = tokens;
    public PresenceTracker Presence { get; } = presence;
    public ConnectionRegistry Connections { get; } = connections;
    public GatewayOptions Options { get; } = options;
    public SelfOrigins SelfOrigins { get; } = selfOrigins;
    public TimeProvider Time { get; } = time;
    public ILogger Logger { get; } = logger;
    public GatewayMetrics Metrics { get; } = metrics;
    public CountryTable Countries { get; } = countries;

    /// <summary>Whether a tenant is closed (R3): the same few-seconds cache the HTTP API's authorization uses.</summary>
    public TenantStandings Standings { get; } = standings;

    /// <summary>What anonymous visitors may create (issue 15): asked before a new visitor and before a start.</summary>
    public VisitorQuotas Quotas { get; } = quotas;
}

/// <summary>
/// The gateway's own origins (the URLs it listens on). The demo page and the agent console are served
/// from here, so their sockets are always allowed.
/// </summary>
public sealed class SelfOrigins
{
    private volatile string[] origins = [];

    public bool Contains(string origin) => origins.Contains(origin, StringComparer.Ordinal);

    public void Set(IEnumerable<string> values) => origins = [.. values];

    public IReadOnlyList<string> All => origins;
}
