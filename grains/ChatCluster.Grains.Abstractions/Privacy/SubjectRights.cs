using ChatCluster.Conversations;
using ChatCluster.Visitors;

namespace ChatCluster.Privacy;

/// <summary>
/// Restriction of processing and objection (R5): a restricted or objecting visitor is left out of analytics and AI
/// processing from the moment the flag is set. AI features ask <see cref="IDataSubject.IsProcessingRestricted"/>;
/// conversations keep a copy of the flag for the statistics.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ProcessingRestrictions(bool Restricted, bool Objected)
{
    public bool Any => Restricted || Objected;
}

/// <summary>The rights a visitor's grain serves itself (R5): rectification, restriction, objection.</summary>
public interface IDataSubject
{
    /// <summary>Replaces name and email: null keeps a field, an empty string clears it. Conversations are corrected too.</summary>
    Task<VisitorProfile> Rectify(string? name, string? email);

    Task<ProcessingRestrictions> SetRestrictions(ProcessingRestrictions restrictions);

    Task<ProcessingRestrictions> GetRestrictions();

    /// <summary>True when the person restricted processing or objected: leave them out of analytics and AI (A2).</summary>
    Task<bool> IsProcessingRestricted();
}

/// <summary>What a conversation holds about its contact, for export and rectification (R5).</summary>
public interface IConversationContactRights
{
    Task<ConversationContact?> GetContact();

    Task Rectify(ConversationContact contact);

    /// <summary>
    /// The visitor restricted processing or objected (true), or lifted it (false): from now on the conversation
    /// feeds no statistics or reports. What was counted before stays, as anonymous totals cannot be taken apart.
    /// </summary>
    Task SetProcessingRestricted(bool restricted);
}

/// <summary>Everything held about one visitor (R5 access and portability).</summary>
[GenerateSerializer, Immutable]
public sealed record SubjectExport(
    string VisitorId,
    DateTimeOffset ExportedAt,
    VisitorProfile Visitor,
    ProcessingRestrictions Restrictions,
    RetentionStatus Retention,
    IReadOnlyList<ConversationExport> Conversations);

[GenerateSerializer, Immutable]
public sealed record ConversationExport(
    ConversationSummary Summary,
    ConversationContact? Contact,
    RetentionStatus Retention,
    IReadOnlyList<ChatMessage> Messages);
