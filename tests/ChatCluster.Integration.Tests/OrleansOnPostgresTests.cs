using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Xunit;

namespace ChatCluster.Integration.Tests;

/// <summary>
/// Orleans' AdoNet providers run against our PostgreSQL schema (C2): grain state, reminders and
/// membership land in the tables we own, and clearing state really deletes it (R1, R5).
/// </summary>
public sealed class OrleansOnPostgresTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private const string StateRowsSql =
        "SELECT count(*) FROM orleans_storage WHERE grain_id_extension = @key";

    private IGrainFactory Grains => fixture.Cluster.Client;

    [Fact]
    public async Task Writing_grain_state_stores_one_row_in_orleans_storage()
    {
        var key = NewKey();

        await Grains.GetGrain<IProbeGrain>(key).Write("hello");

        Assert.Equal(1, await Sql.ScalarAsync<int>(fixture.ConnectionString, StateRowsSql, ("key", key)));
        Assert.Equal(1, await Sql.ScalarAsync<int>(fixture.ConnectionString,
            "SELECT version FROM orleans_storage WHERE grain_id_extension = @key", ("key", key)));
    }

    [Fact]
    public async Task Clearing_grain_state_deletes_its_row()
    {
        var key = NewKey();
        var grain = Grains.GetGrain<IProbeGrain>(key);
        await grain.Write("personal data");

        await grain.Clear();

        Assert.Equal(0, await Sql.ScalarAsync<int>(fixture.ConnectionString, StateRowsSql, ("key", key)));
        Assert.Null((await grain.Read()).Text);
    }

    [Fact]
    public async Task Grain_state_can_be_written_again_after_it_was_cleared_and_clearing_twice_is_harmless()
    {
        var key = NewKey();
        var grain = Grains.GetGrain<IProbeGrain>(key);
        await grain.Write("first");
        await grain.Clear();
        await grain.Clear();

        await grain.Write("second");
        await fixture.Cluster.DeactivateAsync(grain);

        Assert.Equal("second", (await grain.Read()).Text);
        Assert.Equal(1, await Sql.ScalarAsync<int>(fixture.ConnectionString, StateRowsSql, ("key", key)));
    }

    [Fact]
    public async Task Grain_state_survives_deactivation_through_PostgreSQL()
    {
        var key = NewKey();
        var grain = Grains.GetGrain<IProbeGrain>(key);
        await grain.Write("one");
        await grain.Write("two");

        await fixture.Cluster.DeactivateAsync(grain);
        var reread = await grain.Read();

        Assert.Equal("two", reread.Text);
        Assert.Equal(2, reread.Writes);
    }

    [Fact]
    public async Task A_stale_concurrent_write_is_rejected_with_InconsistentStateException()
    {
        var storage = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(ClusterFixture.StorageName);
        var grainId = GrainId.Create("probe-direct", NewKey());
        const string grainType = "ChatCluster.Integration.Tests.ProbeGrain";
        var first = new GrainState<ProbeState>(new ProbeState());
        await storage.WriteStateAsync(grainType, grainId, first);

        // Two writers read the same version...
        var writerA = new GrainState<ProbeState>(new ProbeState());
        var writerB = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync(grainType, grainId, writerA);
        await storage.ReadStateAsync(grainType, grainId, writerB);
        Assert.Equal(writerA.ETag, writerB.ETag);

        // ...the first one wins, the second one must not overwrite it blindly.
        writerA.State = new ProbeState { Text = "A" };
        await storage.WriteStateAsync(grainType, grainId, writerA);
        writerB.State = new ProbeState { Text = "B" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(grainType, grainId, writerB));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(grainType, grainId, writerB));

        var stored = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync(grainType, grainId, stored);
        Assert.Equal("A", stored.State?.Text);
    }

    [Fact]
    public async Task With_DeleteStateOnClear_clearing_deletes_the_row_and_the_next_write_starts_over()
    {
        var storage = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(ClusterFixture.DeletingStorageName);
        var key = NewKey();
        var grainId = GrainId.Create("probe-direct", key);
        const string grainType = "ChatCluster.Integration.Tests.ProbeGrain";
        var state = new GrainState<ProbeState>(new ProbeState { Text = "personal data" });
        await storage.WriteStateAsync(grainType, grainId, state);
        await storage.WriteStateAsync(grainType, grainId, state);

        await storage.ClearStateAsync(grainType, grainId, state);

        Assert.Null(state.ETag);
        Assert.Equal(0, await Sql.ScalarAsync<int>(fixture.ConnectionString, StateRowsSql, ("key", key)));
        await storage.WriteStateAsync(grainType, grainId, state);
        Assert.Equal("1", state.ETag);
    }

    [Fact]
    public async Task A_second_first_write_of_the_same_grain_is_rejected()
    {
        var storage = fixture.Cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(ClusterFixture.StorageName);
        var grainId = GrainId.Create("probe-direct", NewKey());
        const string grainType = "ChatCluster.Integration.Tests.ProbeGrain";

        await storage.WriteStateAsync(grainType, grainId, new GrainState<ProbeState>(new ProbeState { Text = "first" }));

        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            storage.WriteStateAsync(grainType, grainId, new GrainState<ProbeState>(new ProbeState { Text = "also first" })));
    }

    [Fact]
    public async Task A_reminder_is_stored_in_orleans_reminders_fires_and_is_deleted_when_unregistered()
    {
        var key = NewKey();
        var grain = Grains.GetGrain<IProbeGrain>(key);
        var fired = ProbeGrain.Reminded.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

        await grain.Remind("retention", TimeSpan.FromSeconds(1));

        Assert.Equal(1, await Sql.ScalarAsync<int>(fixture.ConnectionString,
            "SELECT count(*) FROM orleans_reminders WHERE reminder_name = 'retention' AND grain_id LIKE '%' || @key",
            ("key", key)));
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await grain.StopReminding("retention");
        Assert.Equal(0, await Sql.ScalarAsync<int>(fixture.ConnectionString,
            "SELECT count(*) FROM orleans_reminders WHERE grain_id LIKE '%' || @key", ("key", key)));
    }

    [Fact]
    public async Task The_running_silo_is_an_active_member_in_orleans_membership()
    {
        var silo = fixture.Cluster.Silos[0].SiloAddress;

        var status = await Sql.ScalarAsync<int>(fixture.ConnectionString,
            "SELECT status FROM orleans_membership WHERE port = @port AND generation = @generation",
            ("port", silo.Endpoint.Port), ("generation", silo.Generation));
        var tableVersion = await Sql.ScalarAsync<int>(fixture.ConnectionString,
            "SELECT version FROM orleans_membership_version");

        Assert.Equal((int)SiloStatus.Active, status);
        Assert.True(tableVersion >= 2, $"membership version {tableVersion}: expected at least the insert and the Active update");
    }

    // Not a bare Guid: Orleans stores string keys that parse as a Guid in grain_id_n0/n1 instead of grain_id_extension.
    private static string NewKey() => $"probe-{Guid.NewGuid():N}";
}
