using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChatCluster.Integration.Tests.ClusterMode;
using ChatCluster.Silo.Hosting.Encryption;
using Microsoft.Extensions.Configuration;

namespace ChatCluster.Integration.Tests.Privacy;

/// <summary>
/// R5 self-service in cluster mode: the gateway (a pure client, without the index key) reaches the record the silo
/// files under the configured key, and the code and the request limit survive a silo restart.
/// </summary>
public sealed partial class SelfServiceClusterTests(PrivacyStoreFixture stores) : IClassFixture<PrivacyStoreFixture>
{
    [Fact]
    public async Task The_index_uses_the_configured_key_and_the_code_and_request_limit_survive_a_silo_restart()
    {
        var (tenantId, siteKey, _) = await stores.NewTenant();
        var person = Person.Unique();
        var (socket, visitorId, _) = await person.Chat(stores, siteKey);
        await socket.DisposeAsync();

        Assert.Equal(HttpStatusCode.Accepted, (await Verify(siteKey, person.Email)).StatusCode);
        var configuredKey = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatCluster:Privacy:EmailIndexKey"] = stores.EmailIndexKey,
        }).Build().ReadEmailIndexKey(required: true);
        var subject = configuredKey.LocalId(tenantId, person.Email);
        await Wait.Until(async () => (await stores.OutboxMail(tenantId, subject)).Count > 0, "the code mail filed under the configured key's hash");
        var code = CodePattern().Match(Assert.Single(await stores.OutboxMail(tenantId, subject))).Groups[1].Value;

        await stores.RestartSilo();
        HttpResponseMessage confirm = null!;
        await Wait.Until(async () =>
        {
            confirm = await stores.Gateway.Http.PostAsJsonAsync("/api/privacy/self/confirm", new { siteKey, email = person.Email, code });
            return confirm.StatusCode != HttpStatusCode.InternalServerError && confirm.StatusCode != HttpStatusCode.ServiceUnavailable;
        }, "the gateway to reach the restarted silo", TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        var token = (string)(await confirm.Content.ReadFromJsonAsync<JsonObject>())!["token"]!;
        var export = await stores.Json(HttpMethod.Get, "/api/privacy/self/export", token);
        Assert.Equal(visitorId, (string)export["visitors"]![0]!["visitorId"]!);

        // One code was asked for before the restart; the default limit is three per 15 minutes.
        Assert.Equal(HttpStatusCode.Accepted, (await Verify(siteKey, person.Email)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Verify(siteKey, person.Email)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await Verify(siteKey, person.Email)).StatusCode);
    }

    private Task<HttpResponseMessage> Verify(string siteKey, string email) =>
        stores.Gateway.Http.PostAsJsonAsync("/api/privacy/self/verify", new { siteKey, email });

    [GeneratedRegex(@"code is (\d{6})")]
    private static partial Regex CodePattern();
}
