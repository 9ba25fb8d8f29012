using System.Reflection;
using ChatCluster.Silo.Hosting.Database;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;
using Xunit;

namespace ChatCluster.Integration.Tests;

/// <summary>
/// One Orleans silo whose membership, grain state and reminders all live in a freshly migrated
/// PostgreSQL database, through the Orleans AdoNet providers and our own schema.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string StorageName = "postgres";

    /// <summary>The same table, with Orleans told to forget the ETag on clear (uses DeleteStorageKey).</summary>
    public const string DeletingStorageName = "postgres-delete-on-clear";

    private readonly PostgresFixture _postgres = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public string ConnectionString => _postgres.ConnectionString;

    public async Task InitializeAsync()
    {
        await _postgres.InitializeAsync();
        await new DatabaseMigrator().MigrateAsync(ConnectionString);

        var connectionString = ConnectionString;
        var builder = new InProcessTestClusterBuilder(1);
        UseRealMembership(builder);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = PostgresOptions.Invariant;
                o.ConnectionString = connectionString;
            });
            silo.AddAdoNetGrainStorage(StorageName, o =>
            {
                o.Invariant = PostgresOptions.Invariant;
                o.ConnectionString = connectionString;
            });
            silo.AddAdoNetGrainStorage(DeletingStorageName, o =>
            {
                o.Invariant = PostgresOptions.Invariant;
                o.ConnectionString = connectionString;
                o.DeleteStateOnClear = true;
            });
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = PostgresOptions.Invariant;
                o.ConnectionString = connectionString;
            });
            silo.Services.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        });
        builder.ConfigureClient(client => client.UseAdoNetClustering(o =>
        {
            o.Invariant = PostgresOptions.Invariant;
            o.ConnectionString = connectionString;
        }));

        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        await _postgres.DisposeAsync();
    }

    /// <summary>
    /// The in-process test cluster swaps in its own in-memory membership table unless told not to,
    /// and the switch is internal. These tests exist to run membership through PostgreSQL, so
    /// turn it off, and fail loudly if a new Orleans version renames it.
    /// </summary>
    private static void UseRealMembership(InProcessTestClusterBuilder builder)
    {
        var useTestMembership = typeof(InProcessTestClusterOptions).GetProperty(
            "UseTestClusterMembership", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException(
                "InProcessTestClusterOptions.UseTestClusterMembership is gone; find the new way to keep AdoNet membership in the test cluster.");
        useTestMembership.SetValue(builder.Options, false);
    }
}
