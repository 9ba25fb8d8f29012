using ChatCluster.Conversations;
using ChatCluster.Routing;
using ChatCluster.Tenants;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// Assignment beyond the manual claim (T3): automatic routing of a new conversation to an online agent under
/// capacity (<see cref="IAgentRoutingGrain"/>), transfer to another agent, and reporting every assignment change
/// so the routing grain knows each agent's load. Conversations of an agent who goes offline stay assigned to them
/// and stay in the inbox, where any agent can claim or transfer them.
/// </summary>
public sealed partial class ConversationGrain
{
    private IAgentRoutingGrain Routing => GrainFactory.GetGrain<IAgentRoutingGrain>(tenantId);

    public async Task<ConversationSummary> Transfer(Participant by, string toAgentId)
    {
        EnsureStarted();
        if (!by.IsAgent) throw ChatRuleException.Forbidden("Only an agent transfers a conversation.");
        if (state.State.Status == ConversationStatus.Closed)
            throw new ChatRuleException(ErrorCodes.ConversationClosed, "The conversation is closed.");
        // The target is looked up in this conversation's own tenant: another tenant's agent id is simply unknown here.
        var target = Ids.IsLocalId(toAgentId) ? await GrainFactory.GetGrain<ITenantGrain>(tenantId).GetAgent(toAgentId) : null;
        if (target is null) throw ChatRuleException.NotFound($"Agent '{(toAgentId.Length > 40 ? toAgentId[..40] + "…" : toAgentId)}'");
        if (state.State.AssignedAgentId == target.AgentId) return Summary();

        state.State.Status = ConversationStatus.Assigned;
        state.State.AssignedAgentId = target.AgentId;
        state.State.LastActivityAt = time.GetUtcNow();
        await state.WriteStateAsync();
        Publish(AnnounceStatus(by));
        return Summary();
    }

    /// <summary>At start: asks routing for an agent and assigns the new conversation to them (the caller writes the state).</summary>
    private async Task RouteToAgent()
    {
        try
        {
            if (await Routing.Route(conversationId) is not { } agentId) return; // nobody online: it stays open ("leave a message")
            state.State.Status = ConversationStatus.Assigned;
            state.State.AssignedAgentId = agentId;
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            logger.LogWarning(ex, "Routing conversation {Conversation} failed; it stays open", key);
        }
    }

    /// <summary>Tells routing who holds the conversation now, so capacity frees when it closes or moves.</summary>
    private void TrackAssignment(ConversationSummary summary) =>
        _ = Routing.Track(conversationId, summary.Status == ConversationStatus.Closed ? null : summary.AssignedAgentId);
}
