using ChatCluster.Insights;

namespace ChatCluster.Grains.Insights;

/// <summary>One tenant-day of AI call records; append-only, like the audit log.</summary>
public sealed class AiCallLogGrain(
    [PersistentState("aicalls", StorageNames.Chat)] IPersistentState<AiCallLogState> state) : Grain, IAiCallLogGrain
{
    public const int MaxRecordsPerDay = 100_000;

    public async Task Append(AiCallRecord record)
    {
        if (state.State.Records.Count >= MaxRecordsPerDay)
            throw ChatRuleException.Invalid($"The AI call log holds at most {MaxRecordsPerDay} records per tenant and day.");
        state.State.Records.Add(record);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<AiCallRecord>> List() => Task.FromResult<IReadOnlyList<AiCallRecord>>([.. state.State.Records]);

    public async Task Purge()
    {
        if (state.RecordExists) await state.ClearStateAsync();
        DeactivateOnIdle();
    }
}

[GenerateSerializer]
public sealed class AiCallLogState
{
    [Id(0)] public List<AiCallRecord> Records { get; set; } = [];
}
