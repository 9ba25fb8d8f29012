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

    /// <summary>The rest of what the conversation's state holds about its participants, for the export (R5); null when nothing is held.</summary>
    Task<ConversationRecord?> GetRecord();

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
    IReadOnlyList<ChatMessage> Messages)
{
    /// <summary>Read marks, rating, times: every other field of the conversation's state (R5).</summary>
    [Id(4)] public ConversationRecord? Record { get; init; }
}

/// <summary>What a conversation's state holds beyond its summary, contact and messages (R5 access and portability).</summary>
/// <param name="ReadMarks">Up to which message each participant has read.</param>
/// <param name="Rating">The visitor's score and comment, if they rated the chat.</param>
/// <param name="ProcessingRestricted">The conversation's copy of the visitor's restriction or objection.</param>
/// <param name="TranscriptOwed">A transcript mail failed and is being tried again (W5).</param>
[GenerateSerializer, Immutable]
public sealed record ConversationRecord(
    IReadOnlyList<ReadMark> ReadMarks,
    ConversationRating? Rating,
    DateTimeOffset? ClosedAt,
    DateTimeOffset? FirstResponseAt,
    bool ProcessingRestricted,
    bool TranscriptOwed);
