using Orleans.Concurrency;

namespace ChatCluster.Routing;

/// <summary>
/// Automatic assignment of a tenant's new conversations (T3), keyed by tenant id. Gateways report their agents'
/// presence here (presence itself is per gateway); conversations ask it for the next agent and report every
/// assignment change, so it knows each agent's load. It picks round robin among agents who are online on some
/// gateway and have fewer open conversations than their capacity.
/// </summary>
public interface IAgentRoutingGrain : IGrainWithStringKey
{
    /// <summary>A gateway reports a change of one agent's presence on that gateway.</summary>
    Task SetAvailability(string gatewayId, string agentId, PresenceStatus status);

    /// <summary>
    /// A gateway's full report for this tenant (sent periodically); replaces what it reported before. A gateway that
    /// stops reporting for <see cref="RoutingLimits.GatewayReportTtl"/> counts as gone, and its agents as offline.
    /// </summary>
    Task ReportGateway(string gatewayId, IReadOnlyList<AgentAvailability> agents);

    /// <summary>The next online agent under capacity, counted as assigned to <paramref name="conversationId"/>; null when none.</summary>
    Task<string?> Route(string conversationId);

    /// <summary>The conversation is now assigned to <paramref name="agentId"/>, or to nobody (open, closed, deleted) when null.</summary>
    [OneWay]
    Task Track(string conversationId, string? agentId);

    /// <summary>How many live conversations routing gives <paramref name="agentId"/> at most (admin setting).</summary>
    Task SetCapacity(string agentId, int capacity);

    /// <summary>Every agent routing knows about: presence, live assigned conversations, capacity.</summary>
    Task<IReadOnlyList<AgentLoad>> GetLoads();

    /// <summary>Deletes capacities and assignments; only account closure (R3) calls it.</summary>
    Task Purge();
}

[GenerateSerializer, Immutable]
public sealed record AgentAvailability(string AgentId, PresenceStatus Status);

[GenerateSerializer, Immutable]
public sealed record AgentLoad(string AgentId, PresenceStatus Status, int Assigned, int Capacity);

public static class RoutingLimits
{
    public const int DefaultCapacity = 3;
    public const int MaxCapacity = 100;

    /// <summary>Gateways report every <see cref="ReportInterval"/>; three missed reports make a gateway gone.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan GatewayReportTtl = TimeSpan.FromSeconds(30);
}
