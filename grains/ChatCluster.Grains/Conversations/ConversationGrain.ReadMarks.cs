namespace ChatCluster.Grains.Conversations;

/// <summary>
/// Read marks are saved at most every <see cref="ReadMarkSaveDelay"/> and when the conversation deactivates, not on
/// every <c>read</c> (issue 12): a reader marks each message it sees, so saving each mark would rewrite the whole state
/// once per message. The mark is published at once either way; a silo crash can lose the last seconds of marks, which
/// then show a little older after the conversation reactivates. Nothing is saved once the state was erased or expired.
/// </summary>
public sealed partial class ConversationGrain
{
    public static readonly TimeSpan ReadMarkSaveDelay = TimeSpan.FromSeconds(5);

    private IGrainTimer? readMarkSave;
    private bool readMarksUnsaved;

    private void SaveReadMarksSoon()
    {
        readMarksUnsaved = true;
        readMarkSave ??= this.RegisterGrainTimer(SaveReadMarks, ReadMarkSaveDelay, Timeout.InfiniteTimeSpan);
    }

    private async Task SaveReadMarks()
    {
        readMarkSave?.Dispose();
        readMarkSave = null;
        if (!readMarksUnsaved) return;
        readMarksUnsaved = false;
        if (!state.State.Started || !state.RecordExists) return; // erased or expired meanwhile: nothing to keep
        await state.WriteStateAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        FlushReports();
        return SaveReadMarks();
    }
}
