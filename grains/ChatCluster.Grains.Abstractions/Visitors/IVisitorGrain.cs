using ChatCluster.Privacy;

namespace ChatCluster.Visitors;

/// <summary>
/// An anonymous website visitor (W3, W4). Keyed by <c>{tenantId}/{visitorId}</c>. Holds the visitor's
/// personal data — optional name and email, and the technical data of the connection — and nothing else.
/// </summary>
public interface IVisitorGrain : IGrainWithStringKey, IRetainedData, IDataSubject
{
    /// <summary>First hello: creates the visitor and returns the secret half of its token (only once).</summary>
    Task<string> Register(ConnectionDetails connection);

    /// <summary>Later hellos: checks the token secret and records the connection's technical data.</summary>
    Task<bool> Authenticate(string tokenSecret, ConnectionDetails connection);

    /// <summary>
    /// A hello whose identity the site signed (I3): no token needed, the gateway verified the signature. Records the
    /// connection like <see cref="Authenticate"/>; false when the visitor is gone (erased or expired).
    /// </summary>
    Task<bool> Vouched(ConnectionDetails connection);

    Task<VisitorProfile?> GetProfile();

    /// <summary>Name and email from the pre-chat form; both optional, made-up details are fine (W3).</summary>
    Task<VisitorProfile> SetContact(string? name, string? email);

    /// <summary>Records that this visitor started a conversation.</summary>
    Task AddConversation(string conversationId);

    /// <summary>Deletes the row an erasure leaves behind (id and erasure time); only account closure (R3) calls it.</summary>
    Task DropTombstone();

    /// <summary>Files this visitor under its email's record with the current index key; false when it holds no email.</summary>
    Task<bool> IndexEmail();

    /// <summary>
    /// What a new conversation of this visitor may feed into the anonymised statistics (R2, R5): whether the person
    /// restricted processing or objected, and the coarse location (country) of their last connection.
    /// </summary>
    /// <remarks>Interleaves: a conversation asks it while this visitor may be calling that conversation.</remarks>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<AnalyticsProfile> GetAnalyticsProfile();
}

/// <summary>The visitor as the statistics may see them: nothing that identifies the person.</summary>
[GenerateSerializer, Immutable]
public sealed record AnalyticsProfile(bool Restricted, string? Country);

/// <summary>Technical data the gateway reads from the connection (W4). The full IP is personal data.</summary>
[GenerateSerializer, Immutable]
public sealed record ConnectionDetails(string? IpAddress, string? UserAgent, string? PageUrl)
{
    /// <summary>
    /// The country the IP address belongs to (ISO 3166-1 alpha-2, e.g. <c>DE</c>), looked up by the gateway when it
    /// has a country table; null when unknown. Coarse enough for the anonymised statistics (R2).
    /// </summary>
    [Id(3)] public string? Country { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record VisitorProfile(
    string VisitorId,
    string? Name,
    string? Email,
    ConnectionDetails LastConnection,
    IReadOnlyList<string> ConversationIds,
    DateTimeOffset FirstSeenAt,
    DateTimeOffset LastSeenAt);
