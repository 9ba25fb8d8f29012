namespace ChatCluster;

[GenerateSerializer]
public enum ParticipantKind
{
    Visitor = 0,
    Agent = 1,
    System = 2,
}

/// <summary>Who did something in a conversation. Built by the gateway from an authenticated session.</summary>
[GenerateSerializer, Immutable]
public sealed record Participant(ParticipantKind Kind, string Id, string? DisplayName)
{
    public bool IsAgent => Kind == ParticipantKind.Agent;
    public bool IsVisitor => Kind == ParticipantKind.Visitor;
}

[GenerateSerializer]
public enum AgentRole
{
    Agent = 0,
    Admin = 1,
    Owner = 2,
}

[GenerateSerializer]
public enum PresenceStatus
{
    Offline = 0,
    Online = 1,
    Away = 2,

    /// <summary>
    /// Not known right now: the fanout between gateways (Redis) is down, so what other gateways last reported may
    /// be stale (C7). Only gateways show it; no gateway ever reports it for its own subjects.
    /// </summary>
    Unknown = 3,
}
