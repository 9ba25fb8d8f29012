using ChatCluster.Gateway.Hosting;
using ChatCluster.Silo.Hosting.Database;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatCluster.Integration.Tests.ClusterMode;

/// <summary>A silo or gateway with bad settings refuses to start and says which key to fix.</summary>
public sealed class BadConfigurationTests : IClassFixture<PostgresFixture>
{
    private readonly PostgresFixture postgres;

    public BadConfigurationTests(PostgresFixture postgres) => this.postgres = postgres;

    private static Dictionary<string, string?> Silo(string? connectionString) => new()
    {
        ["ChatCluster:Silo:Storage"] = "Postgres",
        ["ChatCluster:Silo:SiloPort"] = ListenPorts.Next().ToString(),
        ["ChatCluster:Silo:GatewayPort"] = ListenPorts.Next().ToString(),
        ["ChatCluster:Silo:AdvertisedAddress"] = "127.0.0.1",
        ["ChatCluster:Silo:ClusterId"] = "bad-config-" + Guid.NewGuid().ToString("N")[..6],
        ["ChatCluster:Postgres:ConnectionString"] = connectionString,
        ["ChatCluster:Encryption:Keys:k1"] = Convert.ToBase64String(new byte[32]),
        ["ChatCluster:Privacy:EmailIndexKey"] = Convert.ToBase64String(new byte[32]),
        ["Logging:LogLevel:Default"] = "None",
    };

    [Fact]
    public async Task A_silo_without_a_connection_string_names_the_key()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => ClusterModeFixture.StartSilo(Silo(null)));
        Assert.Contains(PostgresOptions.ConnectionStringKey, ex.Message);
    }

    [Fact]
    public async Task A_silo_with_an_unreachable_database_names_the_key_and_the_target()
    {
        var unreachable = $"Host=127.0.0.1;Port={ListenPorts.Next()};Database=nowhere;Username=chatcluster;Password=secret-password;Timeout=3";
        var ex = await Assert.ThrowsAsync<DatabaseConnectionException>(() => ClusterModeFixture.StartSilo(Silo(unreachable)));
        Assert.Contains(PostgresOptions.ConnectionStringKey, ex.Message);
        Assert.Contains("unreachable", ex.Message);
        Assert.DoesNotContain("secret-password", ex.Message);
    }

    [Fact]
    public async Task A_silo_with_wrong_credentials_says_so()
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Password = "wrong-password" };
        var ex = await Assert.ThrowsAsync<DatabaseConnectionException>(() => ClusterModeFixture.StartSilo(Silo(builder.ConnectionString)));
        Assert.Contains(PostgresOptions.ConnectionStringKey, ex.Message);
        Assert.Contains("credentials", ex.Message);
    }

    [Fact]
    public async Task A_silo_on_a_database_without_the_schema_tells_to_run_migrate()
    {
        var empty = await postgres.CreateDatabaseAsync();
        var ex = await Assert.ThrowsAsync<SchemaNotCurrentException>(() => ClusterModeFixture.StartSilo(Silo(empty)));
        Assert.Contains("migrate", ex.Message);
        Assert.Equal(SchemaState.Missing, ex.Status.State);
    }

    [Fact]
    public async Task A_silo_with_MigrateOnStart_migrates_an_empty_database_and_runs()
    {
        var empty = await postgres.CreateDatabaseAsync();
        var settings = Silo(empty);
        settings["ChatCluster:Postgres:MigrateOnStart"] = "true";
        using var silo = await ClusterModeFixture.StartSilo(settings);
        Assert.Equal(1, await Sql.ScalarAsync<long>(empty, "SELECT count(*) FROM orleans_membership WHERE status = 3"));
        await silo.StopAsync();
    }

    [Theory]
    [InlineData("00:00:00.1")]
    [InlineData("00:10:00")]
    public async Task A_silo_with_a_response_timeout_outside_half_a_second_to_two_minutes_names_the_key(string timeout)
    {
        var settings = Silo(postgres.ConnectionString);
        settings["ChatCluster:Silo:ResponseTimeout"] = timeout;
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => ClusterModeFixture.StartSilo(settings));
        Assert.Contains("ChatCluster:Silo:ResponseTimeout", ex.Message);
    }

    [Fact]
    public void A_client_mode_gateway_waits_seconds_not_30_for_a_grain_call_and_a_bad_response_timeout_names_the_key()
    {
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["ChatCluster:Gateway:Mode"] = "Client",
            ["ChatCluster:Gateway:OperatorKey"] = "operator-key-0123456789",
            ["ChatCluster:Auth:SigningKey"] = Convert.ToBase64String(new byte[32]),
            ["ChatCluster:Postgres:ConnectionString"] = postgres.ConnectionString,
            ["Logging:LogLevel:Default"] = "None",
        };
        using (var app = GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(settings)))
        {
            // Orleans' default is 30 s; the chat path answers unavailable in seconds instead (C7).
            var messaging = app.Services.GetRequiredService<IOptions<Orleans.Configuration.ClientMessagingOptions>>().Value;
            Assert.Equal(ChatCluster.Silo.Hosting.FailureDetection.ResponseTimeout, messaging.ResponseTimeout);
            Assert.True(messaging.ResponseTimeout <= TimeSpan.FromSeconds(5));
        }
        settings["ChatCluster:Silo:ResponseTimeout"] = "00:05:00";
        var tooLong = Assert.Throws<OptionsValidationException>(() => GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(settings)));
        Assert.Contains("ChatCluster:Silo:ResponseTimeout", tooLong.Message);
    }

    [Fact]
    public async Task A_gateway_with_an_unreachable_Redis_names_the_key()
    {
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["ChatCluster:Gateway:OperatorKey"] = "operator-key-0123456789",
            ["ChatCluster:Demo:Enabled"] = "false",
            ["ChatCluster:Silo:SiloPort"] = ListenPorts.Next().ToString(),
            ["ChatCluster:Silo:GatewayPort"] = ListenPorts.Next().ToString(),
            ["ChatCluster:Redis:ConnectionString"] = $"127.0.0.1:{ListenPorts.Next()},connectTimeout=1000",
            ["Logging:LogLevel:Default"] = "None",
        };
        var app = GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(settings));
        try
        {
            var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
            Assert.Contains("ChatCluster:Redis:ConnectionString", ex.Message);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
