namespace ChatCluster.Privacy;

/// <summary>
/// A tenant's data-subject requests (R5), keyed by tenant id: each with its kind, pseudonymous subject, status, when
/// it was received and when it is due (30 days later), and when it was completed.
/// </summary>
public interface IPrivacyRequestsGrain : IGrainWithStringKey
{
    Task<PrivacyRequest> Open(PrivacyRequestKind kind, string subject, string receivedBy);

    Task<PrivacyRequest> Complete(string requestId, PrivacyRequestStatus outcome);

    /// <summary>
    /// Gives every request of <paramref name="kind"/> about <paramref name="subject"/> that is still
    /// <see cref="PrivacyRequestStatus.Received"/> its <paramref name="outcome"/>: the erasure engine calls it when an
    /// erasure finished (or was refused) on a path that holds no request id — the reminder that resumes an erasure after
    /// a crash or a failed step. Returns how many requests it completed.
    /// </summary>
    Task<int> CompleteOpen(PrivacyRequestKind kind, string subject, PrivacyRequestStatus outcome);

    Task<IReadOnlyList<PrivacyRequest>> List();

    /// <summary>Deletes the register; only account closure (R3) calls it.</summary>
    Task Purge();
}

[GenerateSerializer]
public enum PrivacyRequestKind
{
    Access = 0,
    Rectification = 1,
    Erasure = 2,
    Restriction = 3,
    Objection = 4,
}

[GenerateSerializer]
public enum PrivacyRequestStatus
{
    Received = 0,
    Completed = 1,
    Refused = 2,
}

[GenerateSerializer, Immutable]
public sealed record PrivacyRequest(
    string Id,
    PrivacyRequestKind Kind,
    string Subject,
    PrivacyRequestStatus Status,
    DateTimeOffset ReceivedAt,
    DateTimeOffset DueAt,
    DateTimeOffset? CompletedAt,
    string ReceivedBy)
{
    /// <summary>R5: requests are answered within 30 days.</summary>
    public static readonly TimeSpan AnswerWithin = TimeSpan.FromDays(30);
}
