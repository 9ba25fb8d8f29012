using System.Security.Cryptography;
using ChatCluster.Grains.Privacy;
using ChatCluster.Privacy;
using ChatCluster.Silo.Hosting.Encryption;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Grains.Tests;

/// <summary>R5 email index: addresses are filed under an HMAC with a secret key from ChatCluster:Privacy:EmailIndexKey.</summary>
public sealed class EmailIndexKeyTests
{
    private static readonly string KeyA = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static EmailIndexKey Read(string? value, bool required = true) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ChatCluster:Privacy:EmailIndexKey"] = value }).Build()
            .ReadEmailIndexKey(required);

    [Fact]
    public void The_same_address_gets_the_same_id_under_one_configured_key_whatever_its_case_and_spaces()
    {
        var id = Read(KeyA).LocalId("acme", "Jo@Example.com");
        Assert.Equal(id, Read(KeyA).LocalId("acme", "  jo@example.COM "));
        Assert.StartsWith("e_", id);
        Assert.True(Ids.IsLocalId(id));
    }

    [Fact]
    public void Another_key_or_another_tenant_gives_an_unrelated_id()
    {
        var keyB = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        Assert.NotEqual(Read(KeyA).LocalId("acme", "jo@example.com"), Read(keyB).LocalId("acme", "jo@example.com"));
        Assert.NotEqual(Read(KeyA).LocalId("acme", "jo@example.com"), Read(KeyA).LocalId("other", "jo@example.com"));
    }

    [Fact]
    public void Without_a_key_the_embedded_default_uses_a_random_key_for_the_process()
    {
        var first = Read(null, required: false);
        Assert.True(first.IsEphemeral);
        Assert.NotEqual(first.LocalId("acme", "jo@example.com"), Read(null, required: false).LocalId("acme", "jo@example.com"));
        Assert.False(Read(KeyA, required: false).IsEphemeral);
    }

    [Fact]
    public void When_a_key_is_required_a_missing_short_or_malformed_key_is_refused_naming_the_setting()
    {
        var missing = Assert.Throws<OptionsValidationException>(() => Read(null));
        Assert.Contains("ChatCluster:Privacy:EmailIndexKey is required", missing.Message);
        Assert.Contains("Postgres", missing.Message);

        var tooShort = Assert.Throws<OptionsValidationException>(() => Read(Convert.ToBase64String(new byte[16])));
        Assert.Contains("ChatCluster:Privacy:EmailIndexKey is 16 bytes", tooShort.Message);

        var notBase64 = Assert.Throws<OptionsValidationException>(() => Read("not base64!", required: false));
        Assert.Contains("ChatCluster:Privacy:EmailIndexKey is not base64", notBase64.Message);
    }
}

/// <summary>Gateways cannot hash addresses (they lack the key); the silo's index grain does it for them.</summary>
[Collection(RetentionCollection.Name)]
public sealed class EmailIndexGrainTests(RetentionCluster cluster)
{
    [Fact]
    public async Task The_index_grain_locates_an_address_where_the_visitor_grains_file_it()
    {
        var tenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenant);
        var located = await cluster.Grains.GetGrain<IEmailIndexGrain>(tenant).Locate(Chat.Email.ToUpperInvariant());

        Assert.Equal(cluster.EmailIndex.Scoped(tenant, Chat.Email), located);
        Assert.Equal([chat.VisitorId], (await cluster.StoredState<SelfServiceState>(cluster.Grains.GetGrain<ISelfServiceGrain>(located), "self-service")).State.VisitorIds);
        Assert.Equal(ErrorCodes.InvalidRequest, (await Assert.ThrowsAsync<ChatRuleException>(() => cluster.Grains.GetGrain<IEmailIndexGrain>(tenant).Locate("not-an-email"))).Code);
    }
}
