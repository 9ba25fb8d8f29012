namespace ChatCluster.Grains.Visitors;

/// <summary>
/// Restriction of processing and objection (R5), reduced to the one flag the AI features must honour. The
/// privacy engine (issue 4) owns the requests, proof of identity and audit around it.
/// </summary>
public sealed partial class VisitorGrain
{
    public Task<bool> IsProcessingRestricted() => Task.FromResult(state.State.ProcessingRestricted);

    public async Task SetProcessingRestricted(bool restricted)
    {
        EnsureRegistered();
        if (state.State.ProcessingRestricted == restricted) return;
        state.State.ProcessingRestricted = restricted;
        await state.WriteStateAsync();
    }
}
