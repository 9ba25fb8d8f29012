using ChatCluster.Conversations;
using ChatCluster.Privacy;
using ChatCluster.Visitors;

namespace ChatCluster.Grains.Visitors;

/// <summary>Rectification, restriction and objection (R5), served by the grain that holds the data.</summary>
public sealed partial class VisitorGrain
{
    public async Task<VisitorProfile> Rectify(string? name, string? email)
    {
        EnsureRegistered();
        if (name is { Length: > MaxNameLength }) throw ChatRuleException.Invalid($"A name is at most {MaxNameLength} characters.");
        if (email is { Length: > 0 } && !EmailAddress.LooksValid(email.Trim())) throw ChatRuleException.Invalid($"'{email}' is not an email address.");
        var before = state.State.Email;
        if (name is not null) state.State.Name = name.Trim() is { Length: > 0 } n ? n : null;
        if (email is not null) state.State.Email = email.Trim() is { Length: > 0 } e ? e : null;
        await state.WriteStateAsync();
        await Reindex(before, state.State.Email);

        // The contact given at chat start is a copy; correct it everywhere it is held.
        foreach (var id in state.State.ConversationIds)
        {
            var conversation = GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, id));
            if (await conversation.GetContact() is { } contact)
                await conversation.Rectify(new ConversationContact(name is null ? contact.Name : state.State.Name, email is null ? contact.Email : state.State.Email));
        }
        return Profile();
    }

    public async Task<ProcessingRestrictions> SetRestrictions(ProcessingRestrictions restrictions)
    {
        EnsureRegistered();
        state.State.ProcessingRestricted = restrictions.Restricted;
        state.State.ProcessingObjected = restrictions.Objected;
        await state.WriteStateAsync();
        // Conversations count their own events; each keeps a copy of the flag so counting needs no call here.
        foreach (var id in state.State.ConversationIds)
            await GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, id)).SetProcessingRestricted(restrictions.Any);
        return await GetRestrictions();
    }

    public Task<ProcessingRestrictions> GetRestrictions() =>
        Task.FromResult(new ProcessingRestrictions(state.State.ProcessingRestricted, state.State.ProcessingObjected));

    public Task<bool> IsProcessingRestricted() => Task.FromResult(state.State.ProcessingRestricted || state.State.ProcessingObjected);

    public Task<AnalyticsProfile> GetAnalyticsProfile() => Task.FromResult(
        new AnalyticsProfile(state.State.ProcessingRestricted || state.State.ProcessingObjected, state.State.LastConnection?.Country));
}
