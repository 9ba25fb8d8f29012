using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace ChatCluster.Silo.Hosting.Database;

/// <summary>
/// Wraps a grain storage provider so a database fault comes out as the retryable <c>unavailable</c> error. Grain state
/// is read while a grain activates, where no grain call filter runs: an Npgsql exception there would ride the
/// activation's rejection back to the caller, which cannot deserialize it (issue 12). Orleans wraps what a provider
/// throws in an <c>OrleansException</c>; <see cref="GrainBoundaryFaults"/> takes the typed error out again.
/// </summary>
internal sealed class DatabaseFaultStorage(IGrainStorage inner, string name) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Translate(() => inner.ReadStateAsync(stateName, grainId, grainState), "Reading");

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Translate(() => inner.WriteStateAsync(stateName, grainId, grainState), "Saving");

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Translate(() => inner.ClearStateAsync(stateName, grainId, grainState), "Clearing");

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    private async Task Translate(Func<Task> operation, string verb)
    {
        try
        {
            await operation().ConfigureAwait(false);
        }
        catch (Exception ex) when (DatabaseFaults.IsDatabaseFault(ex))
        {
            throw DatabaseFaults.Unavailable($"{verb} {name} state failed");
        }
    }

    /// <summary>Wraps the provider registered as <paramref name="name"/> (call after adding it).</summary>
    public static void Decorate(IServiceCollection services, string name)
    {
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name));
        var factory = original.KeyedImplementationFactory
            ?? throw new InvalidOperationException($"Grain storage '{name}' is not registered through a factory; it cannot be wrapped.");
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(name, (provider, key) => new DatabaseFaultStorage((IGrainStorage)factory(provider, key), name));
    }
}
