using System.Net;
using System.Security.Cryptography;
using ChatCluster.Integration.Tests.ClusterMode;
using ChatCluster.Silo.Hosting.Encryption;
using Microsoft.Extensions.Options;
using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>S1: personal data is sealed with AES-256-GCM before it reaches PostgreSQL; a dump alone reveals nothing.</summary>
public sealed class EncryptionAtRestTests(PrivacyStoreFixture stores) : IClassFixture<PrivacyStoreFixture>
{
    [Fact]
    public async Task While_a_chat_is_live_a_dump_of_every_table_shows_no_name_email_ip_user_agent_page_or_text()
    {
        var (tenantId, siteKey, owner) = await stores.NewTenant();
        var person = Person.Unique();
        var (socket, visitorId, conversationId) = await person.Chat(stores, siteKey);
        await using var _ = socket;

        // The chat works: the agent's transcript (read back through the grains) has the text and the contact.
        var transcript = await (await stores.Send(HttpMethod.Get, $"/api/conversations/{conversationId}", owner)).Content.ReadAsStringAsync();
        Assert.Contains(person.Text, transcript);
        Assert.Contains(person.Name, transcript);

        Assert.Empty(await StoreSearch.InPostgres(stores.ConnectionString, person.Needles));

        var body = await Sql.ScalarAsync<byte[]>(stores.ConnectionString,
            "SELECT body FROM conversation_messages WHERE tenant_id = @t AND conversation_id = @c", ("t", tenantId), ("c", conversationId));
        Assert.Equal("k1", PersonalDataCipher.KeyIdOf(body));
        var visitorState = await Sql.ScalarAsync<byte[]>(stores.ConnectionString,
            "SELECT payload FROM orleans_storage WHERE grain_id_extension = @k", ("k", $"{tenantId}/{visitorId}"));
        Assert.Equal("k1", PersonalDataCipher.KeyIdOf(visitorState));
    }
}

/// <summary>Key rotation (S1): a new active key seals new data; data sealed under the old key still opens.</summary>
public sealed class KeyRotationTests(PrivacyStoreFixture stores) : IClassFixture<PrivacyStoreFixture>
{
    [Fact]
    public async Task After_rotating_to_a_new_key_old_messages_still_read_and_new_ones_are_sealed_with_the_new_key()
    {
        var (tenantId, siteKey, owner) = await stores.NewTenant();
        var before = Person.Unique();
        var (socket, _, oldConversation) = await before.Chat(stores, siteKey);
        await socket.DisposeAsync();

        var secondKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await stores.RestartSilo(settings =>
        {
            settings["ChatCluster:Encryption:Keys:k2"] = secondKey;
            settings["ChatCluster:Encryption:ActiveKeyId"] = "k2";
        });

        string transcript = "";
        await Wait.Until(async () =>
        {
            var response = await stores.Send(HttpMethod.Get, $"/api/conversations/{oldConversation}", owner);
            transcript = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.OK;
        }, "the gateway to reach the restarted silo", TimeSpan.FromSeconds(60));
        Assert.Contains(before.Text, transcript);

        var after = Person.Unique();
        var (socket2, _, newConversation) = await after.Chat(stores, siteKey);
        await socket2.DisposeAsync();
        var newBody = await Sql.ScalarAsync<byte[]>(stores.ConnectionString,
            "SELECT body FROM conversation_messages WHERE tenant_id = @t AND conversation_id = @c", ("t", tenantId), ("c", newConversation));
        var oldBody = await Sql.ScalarAsync<byte[]>(stores.ConnectionString,
            "SELECT body FROM conversation_messages WHERE tenant_id = @t AND conversation_id = @c", ("t", tenantId), ("c", oldConversation));
        Assert.Equal("k2", PersonalDataCipher.KeyIdOf(newBody));
        Assert.Equal("k1", PersonalDataCipher.KeyIdOf(oldBody));
        Assert.Empty(await StoreSearch.InPostgres(stores.ConnectionString, [.. before.Needles, .. after.Needles]));
    }
}

/// <summary>Cluster mode refuses to start without a usable key, naming the setting to fix.</summary>
public sealed class EncryptionConfigurationTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private Dictionary<string, string?> Silo(params (string Key, string? Value)[] encryption)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ChatCluster:Silo:Storage"] = "Postgres",
            ["ChatCluster:Silo:SiloPort"] = ListenPorts.Next().ToString(),
            ["ChatCluster:Silo:GatewayPort"] = ListenPorts.Next().ToString(),
            ["ChatCluster:Silo:AdvertisedAddress"] = "127.0.0.1",
            ["ChatCluster:Silo:ClusterId"] = "enc-config-" + Guid.NewGuid().ToString("N")[..6],
            ["ChatCluster:Postgres:ConnectionString"] = postgres.ConnectionString,
            ["ChatCluster:Privacy:EmailIndexKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Logging:LogLevel:Default"] = "None",
        };
        foreach (var (key, value) in encryption) settings[key] = value;
        return settings;
    }

    [Fact]
    public async Task A_postgres_silo_without_an_encryption_key_names_the_key()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => ClusterModeFixture.StartSilo(Silo()));
        Assert.Contains("ChatCluster:Encryption:Keys", ex.Message);
    }

    [Fact]
    public async Task A_key_that_is_not_32_bytes_of_base64_is_refused_by_name()
    {
        var shortKey = await Assert.ThrowsAsync<OptionsValidationException>(() => ClusterModeFixture.StartSilo(
            Silo(("ChatCluster:Encryption:Keys:k1", Convert.ToBase64String(new byte[16])))));
        Assert.Contains("ChatCluster:Encryption:Keys:k1", shortKey.Message);
        Assert.Contains("32", shortKey.Message);

        var notBase64 = await Assert.ThrowsAsync<OptionsValidationException>(() => ClusterModeFixture.StartSilo(
            Silo(("ChatCluster:Encryption:Keys:k1", "not base64!"))));
        Assert.Contains("ChatCluster:Encryption:Keys:k1", notBase64.Message);

        var unknownActive = await Assert.ThrowsAsync<OptionsValidationException>(() => ClusterModeFixture.StartSilo(
            Silo(("ChatCluster:Encryption:Keys:k1", Convert.ToBase64String(new byte[32])), ("ChatCluster:Encryption:ActiveKeyId", "k9"))));
        Assert.Contains("ChatCluster:Encryption:ActiveKeyId", unknownActive.Message);
    }

    [Fact]
    public async Task A_postgres_silo_without_an_email_index_key_names_the_setting()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => ClusterModeFixture.StartSilo(
            Silo(("ChatCluster:Encryption:Keys:k1", Convert.ToBase64String(new byte[32])), ("ChatCluster:Privacy:EmailIndexKey", null))));
        Assert.Contains("ChatCluster:Privacy:EmailIndexKey is required", ex.Message);
    }
}
