using ChatCluster.Conversations;

namespace ChatCluster.Grains.Conversations;

/// <summary>The contact given at chat start, for export and rectification (R5).</summary>
public sealed partial class ConversationGrain
{
    public Task<ConversationContact?> GetContact() =>
        Task.FromResult(state.State.Started ? new ConversationContact(state.State.VisitorName, state.State.VisitorEmail) : null);

    public async Task Rectify(ConversationContact contact)
    {
        EnsureStarted();
        state.State.VisitorName = contact.Name;
        state.State.VisitorEmail = contact.Email;
        await state.WriteStateAsync();
        if (state.State.Status != ConversationStatus.Closed) ReportToInbox();
    }
}
