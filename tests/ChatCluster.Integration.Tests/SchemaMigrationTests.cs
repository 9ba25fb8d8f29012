using ChatCluster.Silo.Hosting.Database;
using Xunit;

namespace ChatCluster.Integration.Tests;

/// <summary>The schema of record (C2) is created, upgraded and checked the same way everywhere.</summary>
public sealed class SchemaMigrationTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private readonly DatabaseMigrator _migrator = new();

    [Fact]
    public async Task Migrate_creates_every_table_in_an_empty_database()
    {
        var database = await postgres.CreateDatabaseAsync();

        var report = await _migrator.MigrateAsync(database);

        Assert.Equal(0, report.FromVersion);
        Assert.Equal(SchemaMigration.LatestVersion, report.ToVersion);
        Assert.Equal(SchemaMigration.All.Select(m => m.Name), report.Applied.Select(a => a.Name));
        foreach (var table in new[]
                 {
                     "orleansquery", "orleans_membership_version", "orleans_membership", "orleans_storage",
                     "orleans_reminders", "conversation_messages", "chatcluster_schema_version",
                 })
        {
            Assert.True(await Sql.ScalarAsync<bool>(database, "SELECT to_regclass(@t) IS NOT NULL", ("t", table)), $"table {table} is missing");
        }

        Assert.Equal(SchemaMigration.All.Count, await Sql.ScalarAsync<int>(database, "SELECT count(*) FROM chatcluster_schema_version"));
    }

    [Fact]
    public async Task Migrate_provides_every_query_the_Orleans_AdoNet_providers_ask_for()
    {
        var database = await postgres.CreateDatabaseAsync();
        await _migrator.MigrateAsync(database);

        string[] required =
        [
            // Microsoft.Orleans.Clustering.AdoNet
            "GatewaysQueryKey", "MembershipReadRowKey", "MembershipReadAllKey", "InsertMembershipVersionKey",
            "UpdateIAmAlivetimeKey", "InsertMembershipKey", "UpdateMembershipKey", "DeleteMembershipTableEntriesKey",
            "CleanupDefunctSiloEntriesKey",
            // Microsoft.Orleans.Persistence.AdoNet
            "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey",
            // Microsoft.Orleans.Reminders.AdoNet
            "ReadReminderRowsKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "ReadReminderRowKey",
            "UpsertReminderRowKey", "DeleteReminderRowKey", "DeleteReminderRowsKey",
        ];
        foreach (var key in required)
        {
            Assert.Equal(1, await Sql.ScalarAsync<int>(database, "SELECT count(*) FROM OrleansQuery WHERE QueryKey = @k", ("k", key)));
        }
    }

    [Fact]
    public async Task Migrate_twice_changes_nothing_the_second_time()
    {
        var database = await postgres.CreateDatabaseAsync();
        await _migrator.MigrateAsync(database);
        var appliedAt = await Sql.ScalarAsync<DateTime>(database, "SELECT max(applied_at) FROM chatcluster_schema_version");

        var second = await _migrator.MigrateAsync(database);

        Assert.False(second.ChangedSchema);
        Assert.Equal(SchemaMigration.LatestVersion, second.FromVersion);
        Assert.Equal(SchemaMigration.LatestVersion, second.ToVersion);
        Assert.Equal(appliedAt, await Sql.ScalarAsync<DateTime>(database, "SELECT max(applied_at) FROM chatcluster_schema_version"));
    }

    [Fact]
    public async Task Migrate_from_two_processes_at_once_applies_each_migration_exactly_once()
    {
        var database = await postgres.CreateDatabaseAsync();

        var reports = await Task.WhenAll(
            Task.Run(() => new DatabaseMigrator().MigrateAsync(database)),
            Task.Run(() => new DatabaseMigrator().MigrateAsync(database)));

        Assert.Equal(SchemaMigration.All.Count, reports.Sum(r => r.Applied.Count));
        Assert.All(reports, r => Assert.Equal(SchemaMigration.LatestVersion, r.ToVersion));
        Assert.Equal(SchemaMigration.All.Count, await Sql.ScalarAsync<int>(database, "SELECT count(*) FROM chatcluster_schema_version"));
        Assert.Equal(SchemaState.Current, (await _migrator.CheckAsync(database)).State);
    }

    [Fact]
    public async Task Migrate_refuses_a_database_whose_applied_migration_was_edited()
    {
        var database = await postgres.CreateDatabaseAsync();
        await _migrator.MigrateAsync(database);
        await Sql.ExecuteAsync(database, "UPDATE chatcluster_schema_version SET checksum = 'deadbeef' WHERE version = 3");

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() => _migrator.MigrateAsync(database));

        Assert.Contains("0003_persistence.sql was changed after it was applied", error.Message);
        Assert.Contains("deadbeef", error.Message);
        var status = await _migrator.CheckAsync(database);
        Assert.Equal(SchemaState.Modified, status.State);
        Assert.Contains("0003_persistence.sql", status.Message);
    }

    [Fact]
    public async Task Migrate_refuses_a_database_migrated_by_a_newer_build()
    {
        var database = await postgres.CreateDatabaseAsync();
        await _migrator.MigrateAsync(database);
        await Sql.ExecuteAsync(database,
            "INSERT INTO chatcluster_schema_version (version, name, checksum) VALUES (999, '0999_future.sql', 'x')");

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() => _migrator.MigrateAsync(database));

        Assert.Contains("newer than this build", error.Message);
        Assert.Equal(SchemaState.Ahead, (await _migrator.CheckAsync(database)).State);
    }

    [Fact]
    public async Task Check_on_an_empty_database_reports_the_schema_missing_and_how_to_fix_it()
    {
        var database = await postgres.CreateDatabaseAsync();

        var status = await _migrator.CheckAsync(database);

        Assert.Equal(SchemaState.Missing, status.State);
        Assert.Equal(0, status.CurrentVersion);
        Assert.Equal(SchemaMigration.LatestVersion, status.ExpectedVersion);
        Assert.StartsWith($"database schema is at version 0", status.Message);
        Assert.Contains($"expected {SchemaMigration.LatestVersion}: run `dotnet run --project silo/ChatCluster.Silo -- migrate`", status.Message);
        var refusal = Assert.Throws<SchemaNotCurrentException>(() => status.EnsureCurrent());
        Assert.Equal(status.Message, refusal.Message);
    }

    [Fact]
    public async Task Check_on_a_partly_migrated_database_reports_it_outdated()
    {
        var database = await postgres.CreateDatabaseAsync();
        await _migrator.MigrateAsync(database);
        // Pretend the last migration never ran (its objects stay; only the record matters to Check).
        await Sql.ExecuteAsync(database, $"DELETE FROM chatcluster_schema_version WHERE version = {SchemaMigration.LatestVersion}");

        var status = await _migrator.CheckAsync(database);

        Assert.Equal(SchemaState.Outdated, status.State);
        Assert.Equal(SchemaMigration.All[^2].Version, status.CurrentVersion);
        Assert.Equal(
            $"database schema is at version {SchemaMigration.All[^2].Version}, expected {SchemaMigration.LatestVersion}: " +
            $"run `dotnet run --project silo/ChatCluster.Silo -- migrate` (pending: {SchemaMigration.All[^1].Name})",
            status.Message);
    }

    [Fact]
    public async Task Check_after_migrate_reports_the_schema_current()
    {
        var database = await postgres.CreateDatabaseAsync();
        await _migrator.MigrateAsync(database);

        var status = await _migrator.CheckAsync(database);

        Assert.True(status.IsCurrent);
        Assert.Empty(status.PendingMigrations);
        status.EnsureCurrent();
    }

    [Fact]
    public async Task Silo_start_migrates_when_MigrateOnStart_is_set_and_refuses_an_unmigrated_database_otherwise()
    {
        var database = await postgres.CreateDatabaseAsync();

        await Assert.ThrowsAsync<SchemaNotCurrentException>(() =>
            _migrator.EnsureSchemaAsync(new PostgresOptions { ConnectionString = database, MigrateOnStart = false }));
        var status = await _migrator.EnsureSchemaAsync(new PostgresOptions { ConnectionString = database, MigrateOnStart = true });

        Assert.Equal(SchemaState.Current, status.State);
    }

    [Theory]
    [InlineData("")]
    [InlineData("this is not a connection string")]
    [InlineData("Host=127.0.0.1;Port=1;Username=nobody;Password=secret-pw;Database=x;Timeout=3")]
    [InlineData("Host=127.0.0.1;Port=5432;Username=chatcluster;Password=wrong-secret-pw;Database=postgres")]
    public async Task A_bad_connection_string_fails_with_a_message_naming_the_setting_and_never_the_password(string connectionString)
    {
        var error = await Assert.ThrowsAsync<DatabaseConnectionException>(() => _migrator.MigrateAsync(connectionString));

        Assert.Contains("ChatCluster:Postgres:ConnectionString", error.Message);
        Assert.DoesNotContain("secret-pw", error.Message);
        await Assert.ThrowsAsync<DatabaseConnectionException>(() => _migrator.CheckAsync(connectionString));
    }

    [Fact]
    public void Migrations_are_embedded_numbered_and_checksummed()
    {
        Assert.Equal(
            ["0001_orleans_core.sql", "0002_clustering.sql", "0003_persistence.sql", "0004_reminders.sql", "0005_conversation_messages.sql",
             "0006_webhook_deliveries.sql", "0007_privacy_stores.sql"],
            SchemaMigration.All.Select(m => m.Name));
        Assert.Equal(Enumerable.Range(1, SchemaMigration.All.Count), SchemaMigration.All.Select(m => m.Version));
        Assert.All(SchemaMigration.All, m => Assert.Equal(SchemaMigration.ComputeChecksum(m.Sql), m.Checksum));
        Assert.Equal(SchemaMigration.ComputeChecksum("a\nb"), SchemaMigration.ComputeChecksum("a\r\nb"));
    }
}
