using ChatCluster.Tenants;
using ChatCluster.Visitors;

namespace ChatCluster.Grains.Tests;

[Collection(ChatGrainClusterCollection.Name)]
public sealed class TenantGrainTests(ChatGrainCluster fixture)
{
    private static NewTenant Acme(params string[] origins) =>
        new("Acme", origins, new NewAgent("owner@acme.example", "Olga", AgentRole.Owner, "$2a$12$hashhashhashhashhashhu"));

    [Fact]
    public async Task A_tenant_is_created_once_and_its_site_key_leads_back_to_it()
    {
        var id = "t-" + Ids.Random(4);
        var tenant = fixture.Grains.GetGrain<ITenantGrain>(id);
        var info = await tenant.Create(Acme("https://www.acme.example/"));
        Assert.Equal(["https://www.acme.example"], info.AllowedOrigins);
        Assert.Equal(id, await fixture.Grains.GetGrain<ISiteKeyGrain>(info.SiteKey).GetTenantId());

        var again = await Assert.ThrowsAsync<ChatRuleException>(() => tenant.Create(Acme()));
        Assert.Equal(ErrorCodes.Conflict, again.Code);
    }

    [Fact]
    public async Task Rotating_the_site_key_retires_the_old_one_at_once()
    {
        var tenant = fixture.Grains.GetGrain<ITenantGrain>("t-" + Ids.Random(4));
        var old = (await tenant.Create(Acme())).SiteKey;
        var fresh = (await tenant.RotateSiteKey()).SiteKey;
        Assert.NotEqual(old, fresh);
        Assert.Null(await fixture.Grains.GetGrain<ISiteKeyGrain>(old).GetTenantId());
        Assert.NotNull(await fixture.Grains.GetGrain<ISiteKeyGrain>(fresh).GetTenantId());
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://files.example")]
    [InlineData("https://www.example.com/path")]
    public async Task Allowed_origins_must_be_origins(string origin)
    {
        var tenant = fixture.Grains.GetGrain<ITenantGrain>("t-" + Ids.Random(4));
        await tenant.Create(Acme());
        var error = await Assert.ThrowsAsync<ChatRuleException>(() => tenant.SetAllowedOrigins([origin]));
        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
    }

    [Fact]
    public async Task Team_member_emails_are_unique_per_tenant()
    {
        var tenant = fixture.Grains.GetGrain<ITenantGrain>("t-" + Ids.Random(4));
        await tenant.Create(Acme());
        await tenant.AddAgent(new NewAgent("ann@acme.example", "Ann", AgentRole.Agent, "hash"));
        var dup = await Assert.ThrowsAsync<ChatRuleException>(() => tenant.AddAgent(new NewAgent("ANN@acme.example", "Ann 2", AgentRole.Agent, "hash")));
        Assert.Equal(ErrorCodes.Conflict, dup.Code);
        Assert.Equal(2, (await tenant.ListAgents()).Count);
        Assert.NotNull(await tenant.FindCredentials("ann@ACME.example"));
    }

    [Fact]
    public async Task A_visitor_token_only_authenticates_its_own_visitor()
    {
        var key = GrainKeys.Scoped("acme", Ids.NewVisitorId());
        var visitor = fixture.Grains.GetGrain<IVisitorGrain>(key);
        var connection = new ConnectionDetails("203.0.113.7", "Firefox", "https://acme.example/");
        var secret = await visitor.Register(connection);
        Assert.True(await visitor.Authenticate(secret, connection));
        Assert.False(await visitor.Authenticate(secret + "x", connection));
        Assert.False(await fixture.Grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped("acme", Ids.NewVisitorId())).Authenticate(secret, connection));
        Assert.Equal("203.0.113.7", (await visitor.GetProfile())!.LastConnection.IpAddress);
    }
}
