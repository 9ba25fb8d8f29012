using System.Net;
using System.Security.Cryptography;
using ChatCluster.Integration.Tests.ClusterMode;
using ChatCluster.Silo.Hosting.Encryption;
using ChatCluster.Silo.Hosting.Encryption.Reencryption;
using Npgsql;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>
/// Retiring a key (S1): after rotating to k2 and running the re-encryption pass next to the live silo, nothing is
/// sealed under k1 any more, and a silo whose ring holds only k2 still reads the history and the visitor's details.
/// </summary>
public sealed class ReencryptionTests(PrivacyStoreFixture stores) : IClassFixture<PrivacyStoreFixture>
{
    [Fact]
    public async Task After_the_reencryption_pass_a_silo_without_the_old_key_still_reads_history_and_visitor_details()
    {
        var (tenantId, siteKey, owner) = await stores.NewTenant();
        var person = Person.Unique();
        var (socket, visitorId, conversationId) = await person.Chat(stores, siteKey);
        await socket.DisposeAsync();
        Assert.Equal("k1", PersonalDataCipher.KeyIdOf(await Body(tenantId, conversationId)));

        var secondKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await stores.RestartSilo(settings =>
        {
            settings["ChatCluster:Encryption:Keys:k2"] = secondKey;
            settings["ChatCluster:Encryption:ActiveKeyId"] = "k2";
        });
        await TranscriptOnceReachable(conversationId, owner);

        // The pass runs while the silo with both keys is up, as an operator would run it.
        await using var dataSource = NpgsqlDataSource.Create(stores.ConnectionString);
        var progress = new StringWriter();
        var first = await new ReencryptionPass(dataSource, stores.Cipher(), progress).Run(batchSize: 2);
        Assert.True(first.Resealed >= 3, $"expected the visitor, conversation and message values re-sealed:\n{progress}");
        Assert.Equal(0, first.Remaining["k1"]);
        Assert.True(first.Complete, string.Join("\n", first.Summary()));
        Assert.Equal(["k1"], first.RetirableKeys);
        Assert.Contains("orleans_storage: batch 2", progress.ToString()); // bounded batches, progress per batch
        Assert.Equal("k2", PersonalDataCipher.KeyIdOf(await Body(tenantId, conversationId)));
        Assert.Equal("k2", PersonalDataCipher.KeyIdOf(await Sql.ScalarAsync<byte[]>(stores.ConnectionString,
            "SELECT payload FROM orleans_storage WHERE grain_id_extension = @k", ("k", $"{tenantId}/{visitorId}"))));

        var second = await new ReencryptionPass(dataSource, stores.Cipher(), TextWriter.Null).Run();
        Assert.Equal(0, second.Resealed);
        Assert.Equal(0, second.ChangedMeanwhile);
        Assert.Equal(first.Read, second.Read);
        Assert.True(second.Complete);

        await stores.RestartSilo(settings => settings.Remove("ChatCluster:Encryption:Keys:k1"));
        Assert.Equal(["k2"], stores.Cipher().KeyIds);
        var transcript = await TranscriptOnceReachable(conversationId, owner);
        Assert.Contains(person.Text, transcript);
        Assert.Contains(person.Name, transcript);
        var visitor = await stores.Json(HttpMethod.Get, $"/api/conversations/{conversationId}/visitor", owner);
        Assert.Equal(person.Name, (string?)visitor["name"]);
        Assert.Equal(person.Email, (string?)visitor["email"]);
        Assert.Empty(await StoreSearch.InPostgres(stores.ConnectionString, person.Needles));
    }

    private Task<byte[]> Body(string tenantId, string conversationId) => Sql.ScalarAsync<byte[]>(stores.ConnectionString,
        "SELECT body FROM conversation_messages WHERE tenant_id = @t AND conversation_id = @c", ("t", tenantId), ("c", conversationId));

    private async Task<string> TranscriptOnceReachable(string conversationId, string owner)
    {
        var transcript = "";
        await Wait.Until(async () =>
        {
            var response = await stores.Send(HttpMethod.Get, $"/api/conversations/{conversationId}", owner);
            transcript = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.OK;
        }, "the gateway to reach the restarted silo", TimeSpan.FromSeconds(60));
        return transcript;
    }
}
