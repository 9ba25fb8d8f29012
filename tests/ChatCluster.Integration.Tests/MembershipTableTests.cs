using System.Net;
using ChatCluster.Silo.Hosting.Database;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;
using Orleans.Runtime.Membership;
using Orleans.Runtime.MembershipService;
using Xunit;

namespace ChatCluster.Integration.Tests;

/// <summary>
/// Silos can join, change status, heartbeat and leave (C6) through Orleans' own AdoNet membership
/// table running on our membership queries, including the table-version conflicts the protocol relies on.
/// </summary>
public sealed class MembershipTableTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly DateTime Now = TruncateToMilliseconds(DateTime.UtcNow);

    private readonly string _clusterId = $"cluster-{Guid.NewGuid():N}";
    private AdoNetClusteringTable _table = null!;

    public async Task InitializeAsync()
    {
        await new DatabaseMigrator().MigrateAsync(postgres.ConnectionString);
        _table = new AdoNetClusteringTable(
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new ClusterOptions { ClusterId = _clusterId, ServiceId = "membership-tests" }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = PostgresOptions.Invariant, ConnectionString = postgres.ConnectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);
        await _table.InitializeMembershipTableAsync(tryInitTableVersion: true, Ct);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_new_cluster_starts_at_table_version_zero_with_no_silos()
    {
        var data = await _table.ReadAllAsync(Ct);

        Assert.Equal(0, data.Version.Version);
        Assert.Empty(data.Members);
    }

    [Fact]
    public async Task A_silo_joins_only_on_the_current_table_version()
    {
        var version = (await _table.ReadAllAsync(Ct)).Version;
        var silo = Silo(11111, SiloStatus.Joining);

        Assert.True(await _table.InsertRowAsync(silo, version.Next(), Ct));
        Assert.False(await _table.InsertRowAsync(Silo(22222, SiloStatus.Joining), version.Next(), Ct));

        var data = await _table.ReadAllAsync(Ct);
        Assert.Equal(1, data.Version.Version);
        var (stored, _) = Assert.Single(data.Members);
        Assert.Equal(silo.SiloAddress, stored.SiloAddress);
        Assert.Equal(silo.SiloName, stored.SiloName);
        Assert.Equal(silo.HostName, stored.HostName);
        Assert.Equal(SiloStatus.Joining, stored.Status);
        Assert.Equal(silo.ProxyPort, stored.ProxyPort);
        Assert.Equal(silo.StartTime, stored.StartTime);
        Assert.Equal(silo.IAmAliveTime, stored.IAmAliveTime);
    }

    [Fact]
    public async Task A_silo_is_inserted_once()
    {
        var silo = Silo(11112, SiloStatus.Joining);
        Assert.True(await _table.InsertRowAsync(silo, (await _table.ReadAllAsync(Ct)).Version.Next(), Ct));

        Assert.False(await _table.InsertRowAsync(silo, (await _table.ReadAllAsync(Ct)).Version.Next(), Ct));
        Assert.Equal(1, (await _table.ReadAllAsync(Ct)).Version.Version);
    }

    [Fact]
    public async Task Status_and_suspicions_change_only_on_the_current_table_version()
    {
        var silo = Silo(11113, SiloStatus.Joining);
        await _table.InsertRowAsync(silo, (await _table.ReadAllAsync(Ct)).Version.Next(), Ct);
        var read = await _table.ReadRowAsync(silo.SiloAddress, Ct);
        var (entry, etag) = Assert.Single(read.Members);

        entry.Status = SiloStatus.Active;
        entry.SuspectTimes = [Tuple.Create(SiloAddress.New(IPAddress.Loopback, 30000, 7), Now)];
        Assert.True(await _table.UpdateRowAsync(entry, etag, read.Version.Next(), Ct));
        Assert.False(await _table.UpdateRowAsync(entry, etag, read.Version.Next(), Ct));

        var (updated, _) = Assert.Single((await _table.ReadRowAsync(silo.SiloAddress, Ct)).Members);
        Assert.Equal(SiloStatus.Active, updated.Status);
        var (suspect, when) = Assert.Single(updated.SuspectTimes!);
        Assert.Equal(SiloAddress.New(IPAddress.Loopback, 30000, 7), suspect);
        Assert.Equal(Now, when);
    }

    [Fact]
    public async Task A_heartbeat_moves_the_alive_time_without_changing_the_table_version()
    {
        var silo = Silo(11114, SiloStatus.Active);
        await _table.InsertRowAsync(silo, (await _table.ReadAllAsync(Ct)).Version.Next(), Ct);
        var versionBefore = (await _table.ReadAllAsync(Ct)).Version.Version;

        silo.IAmAliveTime = Now.AddMinutes(1);
        await _table.UpdateIAmAliveAsync(silo, Ct);

        var read = await _table.ReadRowAsync(silo.SiloAddress, Ct);
        Assert.Equal(Now.AddMinutes(1), Assert.Single(read.Members).Item1.IAmAliveTime);
        Assert.Equal(versionBefore, read.Version.Version);
    }

    [Fact]
    public async Task Reading_an_unknown_silo_still_returns_the_table_version()
    {
        await _table.InsertRowAsync(Silo(11115, SiloStatus.Active), (await _table.ReadAllAsync(Ct)).Version.Next(), Ct);

        var read = await _table.ReadRowAsync(SiloAddress.New(IPAddress.Loopback, 1, 1), Ct);

        Assert.Empty(read.Members);
        Assert.Equal(1, read.Version.Version);
    }

    [Fact]
    public async Task Clients_are_offered_only_active_silos_with_a_gateway()
    {
        await _table.InsertRowAsync(Silo(11116, SiloStatus.Active, proxyPort: 40001), (await _table.ReadAllAsync(Ct)).Version.Next(), Ct);
        await _table.InsertRowAsync(Silo(11117, SiloStatus.Joining, proxyPort: 40002), (await _table.ReadAllAsync(Ct)).Version.Next(), Ct);
        await _table.InsertRowAsync(Silo(11118, SiloStatus.Active, proxyPort: 0), (await _table.ReadAllAsync(Ct)).Version.Next(), Ct);
        var gateways = new AdoNetGatewayListProvider(
            NullLogger<AdoNetGatewayListProvider>.Instance,
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new AdoNetClusteringClientOptions { Invariant = PostgresOptions.Invariant, ConnectionString = postgres.ConnectionString }),
            Options.Create(new GatewayOptions()),
            Options.Create(new ClusterOptions { ClusterId = _clusterId, ServiceId = "membership-tests" }));
        await gateways.InitializeGatewayListProviderAsync(Ct);

        var uri = Assert.Single(await gateways.GetGatewaysAsync(Ct));

        Assert.Equal(40001, uri.Port);
    }

    [Fact]
    public async Task Cleanup_forgets_only_silos_that_are_dead_and_silent_since_the_cut_off()
    {
        var deadLongAgo = Silo(11119, SiloStatus.Dead, aliveAt: Now.AddDays(-2));
        var deadRecently = Silo(11120, SiloStatus.Dead, aliveAt: Now);
        var activeLongAgo = Silo(11121, SiloStatus.Active, aliveAt: Now.AddDays(-2));
        foreach (var silo in new[] { deadLongAgo, deadRecently, activeLongAgo })
        {
            await _table.InsertRowAsync(silo, (await _table.ReadAllAsync(Ct)).Version.Next(), Ct);
        }

        await _table.CleanupDefunctSiloEntriesAsync(Now.AddDays(-1), Ct);

        var remaining = (await _table.ReadAllAsync(Ct)).Members.Select(m => m.Item1.SiloAddress).ToHashSet();
        Assert.Equal([deadRecently.SiloAddress, activeLongAgo.SiloAddress], remaining.OrderBy(a => a.Endpoint.Port));
    }

    [Fact]
    public async Task Deleting_the_cluster_removes_its_silos_and_version()
    {
        await _table.InsertRowAsync(Silo(11122, SiloStatus.Active), (await _table.ReadAllAsync(Ct)).Version.Next(), Ct);

        await _table.DeleteMembershipTableEntriesAsync(_clusterId, Ct);

        Assert.Equal(0, await Sql.ScalarAsync<int>(postgres.ConnectionString,
            "SELECT count(*) FROM orleans_membership WHERE deployment_id = @id", ("id", _clusterId)));
        Assert.Equal(0, await Sql.ScalarAsync<int>(postgres.ConnectionString,
            "SELECT count(*) FROM orleans_membership_version WHERE deployment_id = @id", ("id", _clusterId)));
    }

    private static MembershipEntry Silo(int port, SiloStatus status, int proxyPort = 30001, DateTime? aliveAt = null) => new()
    {
        SiloAddress = SiloAddress.New(IPAddress.Loopback, port, 42),
        SiloName = $"silo-{port}",
        HostName = "test-host",
        Status = status,
        ProxyPort = proxyPort,
        StartTime = Now.AddMinutes(-5),
        IAmAliveTime = aliveAt ?? Now,
    };

    // PostgreSQL keeps microseconds, .NET ticks are 100 ns; compare at a precision both keep.
    private static DateTime TruncateToMilliseconds(DateTime time) =>
        new(time.Ticks - time.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
}
