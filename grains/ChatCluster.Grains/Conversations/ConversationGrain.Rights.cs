using ChatCluster.Conversations;
using ChatCluster.Privacy;

namespace ChatCluster.Grains.Conversations;

/// <summary>
/// The contact given at chat start, for export and rectification, and the visitor's restriction of processing
/// or objection (R5): while it applies, the conversation feeds no statistics or reports. Expiries and erasures
/// are still counted: they record what the service did with stored data, not what the person did.
/// </summary>
public sealed partial class ConversationGrain
{
    public Task<ConversationContact?> GetContact() =>
        Task.FromResult(state.State.Started ? new ConversationContact(state.State.VisitorName, state.State.VisitorEmail) : null);

    public Task<ConversationRecord?> GetRecord() => Task.FromResult(state.State.Started
        ? new ConversationRecord([.. state.State.ReadMarks.Values], state.State.Rating, state.State.ClosedAt, state.State.FirstResponseAt,
            state.State.ProcessingRestricted, state.State.OwedTranscript is not null)
        : null);

    public async Task Rectify(ConversationContact contact)
    {
        EnsureStarted();
        state.State.VisitorName = contact.Name;
        state.State.VisitorEmail = contact.Email;
        await state.WriteStateAsync();
        if (state.State.Status != ConversationStatus.Closed) ReportToInbox();
    }

    public async Task SetProcessingRestricted(bool restricted)
    {
        if (!state.State.Started || state.State.ProcessingRestricted == restricted) return;
        state.State.ProcessingRestricted = restricted;
        await state.WriteStateAsync();
    }

    /// <summary>Whether this conversation's events may be counted in the day statistics and reports (R2, A1).</summary>
    private bool FeedsStatistics => !state.State.ProcessingRestricted;
}
