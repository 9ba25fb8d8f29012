using ChatCluster.Routing;

namespace ChatCluster.Grains.Routing;

/// <summary>
/// Round-robin routing of one tenant's new conversations. Capacities and assignments are durable; presence is
/// not: gateways re-report it every <see cref="RoutingLimits.ReportInterval"/>, so after a restart of this grain
/// routing knows who is online again within one interval (until then new conversations stay open).
/// </summary>
public sealed class AgentRoutingGrain(
    [PersistentState("routing", StorageNames.Chat)] IPersistentState<AgentRoutingState> state,
    TimeProvider time) : Grain, IAgentRoutingGrain
{
    private readonly Dictionary<string, GatewayReport> gateways = new(StringComparer.Ordinal);

    public Task SetAvailability(string gatewayId, string agentId, PresenceStatus status)
    {
        var report = Gateway(gatewayId);
        if (status == PresenceStatus.Offline) report.Agents.Remove(agentId);
        else report.Agents[agentId] = status;
        return Task.CompletedTask;
    }

    public Task ReportGateway(string gatewayId, IReadOnlyList<AgentAvailability> agents)
    {
        var report = Gateway(gatewayId);
        report.Agents.Clear();
        foreach (var agent in agents.Where(a => a.Status != PresenceStatus.Offline)) report.Agents[agent.AgentId] = agent.Status;
        return Task.CompletedTask;
    }

    public async Task<string?> Route(string conversationId)
    {
        if (state.State.Assignments.TryGetValue(conversationId, out var already)) return already;
        var online = Presence().Where(p => p.Value == PresenceStatus.Online).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        if (online.Count == 0) return null;
        var loads = Loads();
        // Start after the agent who got the previous conversation, so the work goes round.
        var start = state.State.LastRoutedAgentId is { } last ? online.FindIndex(a => string.CompareOrdinal(a, last) > 0) : 0;
        if (start < 0) start = 0;
        for (var i = 0; i < online.Count; i++)
        {
            var agentId = online[(start + i) % online.Count];
            if (loads.GetValueOrDefault(agentId) >= Capacity(agentId)) continue;
            state.State.Assignments[conversationId] = agentId;
            state.State.LastRoutedAgentId = agentId;
            await state.WriteStateAsync();
            return agentId;
        }
        return null;
    }

    public async Task Track(string conversationId, string? agentId)
    {
        var changed = agentId is null
            ? state.State.Assignments.Remove(conversationId)
            : !state.State.Assignments.TryGetValue(conversationId, out var was) || was != agentId;
        if (agentId is not null) state.State.Assignments[conversationId] = agentId;
        if (changed) await state.WriteStateAsync();
    }

    public async Task SetCapacity(string agentId, int capacity)
    {
        if (capacity is < 0 or > RoutingLimits.MaxCapacity)
            throw ChatRuleException.Invalid($"capacity is a whole number from 0 to {RoutingLimits.MaxCapacity}.");
        state.State.Capacities[agentId] = capacity;
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<AgentLoad>> GetLoads()
    {
        var presence = Presence();
        var loads = Loads();
        IReadOnlyList<AgentLoad> all = [.. presence.Keys.Union(loads.Keys).Union(state.State.Capacities.Keys).Order(StringComparer.Ordinal)
            .Select(a => new AgentLoad(a, presence.GetValueOrDefault(a, PresenceStatus.Offline), loads.GetValueOrDefault(a), Capacity(a)))];
        return Task.FromResult(all);
    }

    public async Task Purge()
    {
        if (state.RecordExists) await state.ClearStateAsync();
        DeactivateOnIdle();
    }

    private int Capacity(string agentId) => state.State.Capacities.GetValueOrDefault(agentId, RoutingLimits.DefaultCapacity);

    private Dictionary<string, int> Loads() =>
        state.State.Assignments.GroupBy(a => a.Value).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Each agent's best status over the live gateways: online anywhere beats away.</summary>
    private Dictionary<string, PresenceStatus> Presence()
    {
        var now = time.GetUtcNow();
        foreach (var gone in gateways.Where(g => now - g.Value.LastSeen > RoutingLimits.GatewayReportTtl).Select(g => g.Key).ToList())
            gateways.Remove(gone);
        var merged = new Dictionary<string, PresenceStatus>(StringComparer.Ordinal);
        foreach (var (agentId, status) in gateways.Values.SelectMany(g => g.Agents))
        {
            if (status == PresenceStatus.Online || !merged.ContainsKey(agentId)) merged[agentId] = status;
        }
        return merged;
    }

    private GatewayReport Gateway(string gatewayId)
    {
        if (!gateways.TryGetValue(gatewayId, out var report)) gateways[gatewayId] = report = new GatewayReport();
        report.LastSeen = time.GetUtcNow();
        return report;
    }

    private sealed class GatewayReport
    {
        public DateTimeOffset LastSeen { get; set; }
        public Dictionary<string, PresenceStatus> Agents { get; } = new(StringComparer.Ordinal);
    }
}

[GenerateSerializer]
public sealed class AgentRoutingState
{
    [Id(0)] public Dictionary<string, int> Capacities { get; set; } = [];

    /// <summary>Live conversation id → the agent it is assigned to; closed conversations leave.</summary>
    [Id(1)] public Dictionary<string, string> Assignments { get; set; } = [];
    [Id(2)] public string? LastRoutedAgentId { get; set; }
}
