using System.Collections.Concurrent;
using Orleans.Runtime;

namespace ChatCluster.Integration.Tests;

/// <summary>A grain that only exists to push state and reminders through PostgreSQL.</summary>
public interface IProbeGrain : IGrainWithStringKey
{
    /// <summary>Stores <paramref name="text"/> as the grain's persistent state.</summary>
    Task Write(string text);

    /// <summary>The state as read at activation (or last written).</summary>
    Task<ProbeState> Read();

    /// <summary>Clears the persistent state.</summary>
    Task Clear();

    /// <summary>Registers a reminder that ticks every <paramref name="period"/>.</summary>
    Task Remind(string name, TimeSpan period);

    /// <summary>Unregisters the reminder.</summary>
    Task StopReminding(string name);
}

[GenerateSerializer, Alias("probe-state")]
public sealed class ProbeState
{
    [Id(0)] public string? Text { get; set; }

    [Id(1)] public int Writes { get; set; }
}

public sealed class ProbeGrain(
    [PersistentState("probe", ClusterFixture.StorageName)] IPersistentState<ProbeState> state)
    : Grain, IProbeGrain, IRemindable
{
    /// <summary>Reminder ticks observed by any activation, by grain key; reminders outlive activations.</summary>
    public static ConcurrentDictionary<string, TaskCompletionSource> Reminded { get; } = new();

    public async Task Write(string text)
    {
        state.State.Text = text;
        state.State.Writes++;
        await state.WriteStateAsync();
    }

    public Task<ProbeState> Read() => Task.FromResult(state.State);

    public Task Clear() => state.ClearStateAsync();

    public Task Remind(string name, TimeSpan period) => this.RegisterOrUpdateReminder(name, period, period);

    public async Task StopReminding(string name)
    {
        if (await this.GetReminder(name) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Reminded.GetOrAdd(this.GetPrimaryKeyString(), _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return Task.CompletedTask;
    }
}
