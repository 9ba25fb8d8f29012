namespace ChatCluster.Privacy;

/// <summary>
/// A grain that holds personal data and deletes it itself (R1, R4, R5): conversations and visitors.
/// Each keeps a <c>retention-check</c> reminder that compares its stored deadline with the clock.
/// </summary>
public interface IRetainedData : IGrainWithStringKey
{
    Task<RetentionStatus> GetRetention();

    /// <summary>
    /// Adopts the tenant's current rules (a policy change or a tenant hold) and re-computes the deadline;
    /// overdue data that is not held is deleted at once.
    /// </summary>
    Task<RetentionStatus> ApplyRules(RetentionRules rules);

    /// <summary>Places a legal hold on this subject; replaces an earlier hold's reason.</summary>
    Task<RetentionStatus> PlaceHold(LegalHold hold);

    /// <summary>Lifts this subject's hold; the normal rules apply at once (overdue data is deleted now).</summary>
    Task<RetentionStatus> LiftHold(RetentionRules rules);

    /// <summary>
    /// Deletes the personal data now (R5). Fails with <c>conflict</c> under a hold. Returns false when
    /// there was nothing left to delete, so repeating it is harmless.
    /// </summary>
    Task<bool> Erase(string actor);
}

/// <summary>A conversation kept for its visitor (R4): a hold on the person holds every conversation of theirs.</summary>
public interface IHeldWithVisitor
{
    /// <summary>
    /// The visitor's hold was placed (true) or lifted (false). While it applies nothing of the conversation is deleted;
    /// once lifted the normal rules apply at once (overdue data is deleted now).
    /// </summary>
    Task<RetentionStatus> SetVisitorHold(bool held, RetentionRules rules);
}
