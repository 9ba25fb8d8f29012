using ChatCluster.Security;
using ChatCluster.Tenants;

namespace ChatCluster.Grains.Tenants;

/// <summary>
/// Team management (T2). Every change to a member's role, password or second factor renews their security stamp,
/// which the gateway compares with the stamp in each token (see <see cref="GetAccess"/>), so old sessions end.
/// </summary>
public sealed partial class TenantGrain
{
    public async Task<AgentInfo> ChangeRole(string actorId, string agentId, AgentRole role)
    {
        EnsureCreated();
        if (!Enum.IsDefined(role)) throw ChatRuleException.Invalid("role is owner, admin or agent.");
        var actor = Member(actorId);
        var agent = Member(agentId);
        if (agent.Role == role) return agent.ToInfo();
        if ((role > AgentRole.Agent || agent.Role > AgentRole.Agent) && actor.Role != AgentRole.Owner)
            throw ChatRuleException.Forbidden("Only an owner grants or takes away the admin and owner roles.");
        if (agent.Role == AgentRole.Owner && OwnerCount() == 1)
            throw ChatRuleException.Conflict("The last owner keeps the owner role; make another member owner first.");
        agent.Role = role;
        agent.SecurityStamp = Ids.Random(10);
        await state.WriteStateAsync();
        return agent.ToInfo();
    }

    public async Task RemoveAgent(string actorId, string agentId)
    {
        EnsureCreated();
        var actor = Member(actorId);
        var agent = Member(agentId);
        if (agent.Role > AgentRole.Agent && actor.Role != AgentRole.Owner)
            throw ChatRuleException.Forbidden("Only an owner removes admins and owners.");
        if (agent.Role == AgentRole.Owner && OwnerCount() == 1)
            throw ChatRuleException.Conflict("The last owner cannot be removed; make another member owner first.");
        state.State.Agents.Remove(agentId);
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IAgentMfaGrain>(GrainKeys.Scoped(TenantId, agentId)).Purge();
        await GrainFactory.GetGrain<IAgentSetupCodesGrain>(GrainKeys.Scoped(TenantId, agentId)).Purge();
    }

    public async Task<SessionStamp> SetPassword(string agentId, string passwordHash)
    {
        EnsureCreated();
        if (string.IsNullOrWhiteSpace(passwordHash)) throw ChatRuleException.Invalid("A team member needs a password.");
        var agent = Member(agentId);
        agent.PasswordHash = passwordHash;
        agent.SecurityStamp = Ids.Random(10);
        await state.WriteStateAsync();
        return new SessionStamp(state.State.Generation, agent.SecurityStamp);
    }

    public async Task<SessionStamp> RenewSessionStamp(string agentId)
    {
        EnsureCreated();
        var agent = Member(agentId);
        agent.SecurityStamp = Ids.Random(10);
        await state.WriteStateAsync();
        return new SessionStamp(state.State.Generation, agent.SecurityStamp);
    }

    public async Task<TenantAccess> GetAccess()
    {
        var standing = await GetStanding();
        IReadOnlyDictionary<string, string> stamps = standing == TenantStanding.Unknown
            ? new Dictionary<string, string>()
            : state.State.Agents.ToDictionary(a => a.Key, a => a.Value.SecurityStamp, StringComparer.Ordinal);
        return new TenantAccess(standing, state.State.Generation, state.State.RequireMfa, stamps);
    }

    private AgentRecord Member(string agentId) =>
        state.State.Agents.TryGetValue(agentId, out var agent) ? agent : throw ChatRuleException.NotFound($"Team member '{agentId}'");

    private int OwnerCount() => state.State.Agents.Values.Count(a => a.Role == AgentRole.Owner);
}
