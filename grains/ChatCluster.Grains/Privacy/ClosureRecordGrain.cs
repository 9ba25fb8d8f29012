using ChatCluster.Privacy;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// A purged account's closure record (R7): dates and counts under a keyed pseudonym of the tenant id, so the record
/// outlives the purge without keeping the id (or anything else) of the tenant. Written once, at the end of the purge.
/// </summary>
public sealed class ClosureRecordGrain(
    [PersistentState("closure-record", StorageNames.Chat)] IPersistentState<ClosureRecordState> state) : Grain, IClosureRecordGrain
{
    private const string Purpose = "closure-record";

    /// <summary>The grain key of <paramref name="tenantId"/>'s record: <c>closure_</c> + the keyed pseudonym.</summary>
    public static string KeyFor(string tenantId, IServiceProvider services) =>
        "closure_" + services.GetRequiredService<EmailIndexKey>().Pseudonym(Purpose, tenantId);

    public async Task Record(ClosureRecord record)
    {
        state.State.Record = record;
        await state.WriteStateAsync();
    }

    public Task<ClosureRecord?> Get() => Task.FromResult(state.State.Record);
}

[GenerateSerializer]
public sealed class ClosureRecordState
{
    [Id(0)] public ClosureRecord? Record { get; set; }
}
