using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Geo;
using ChatCluster.Gateway.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Gateway.Tests;

/// <summary>The country table: ranges of both families, inclusive ends, and bad lines named by number.</summary>
public sealed class CountryTableTests
{
    private static CountryTable Table(string csv) => CountryTable.Parse(new StringReader(csv));

    [Fact]
    public void Addresses_are_found_in_inclusive_ranges_of_both_families_and_outside_them_nothing_is()
    {
        var table = Table("""
            # first,last,country
            "1.0.0.0","1.0.0.255","AU"
            5.10.0.0,5.10.255.255,de
            2001:db8::,2001:db8::ffff,NL

            """);

        Assert.Equal(3, table.Ranges);
        Assert.Equal("AU", table.Find("1.0.0.0"));
        Assert.Equal("AU", table.Find("1.0.0.255"));
        Assert.Null(table.Find("1.0.1.0"));
        Assert.Null(table.Find("0.255.255.255"));
        Assert.Equal("DE", table.Find("5.10.200.7"));
        Assert.Equal("DE", table.Find(IPAddress.Parse("5.10.200.7").MapToIPv6())); // dual-stack sockets report this form
        Assert.Equal("NL", table.Find("2001:db8::42"));
        Assert.Null(table.Find("2001:db8::1:0"));
        Assert.Null(table.Find("::1"));
        Assert.Null(table.Find("not an address"));
        Assert.Null(table.Find((string?)null));
        Assert.Null(CountryTable.Empty.Find("1.0.0.1"));
    }

    [Theory]
    [InlineData("1.0.0.0,1.0.0.255", "line 2: expected first,last,country")]
    [InlineData("1.0.0.0,somewhere,AU", "line 2: the first two fields must be IP addresses")]
    [InlineData("1.0.0.9,1.0.0.1,AU", "line 2: the range ends before it starts")]
    [InlineData("1.0.0.0,::ffff,AU", "line 2: a range's two ends must both be IPv4 or both IPv6")]
    [InlineData("1.0.0.0,1.0.0.255,Australia", "line 2: 'Australia' is not a two-letter country code")]
    [InlineData("1.0.0.128,1.0.1.0,NZ", "overlap")]
    public void A_bad_line_is_refused_with_its_number_and_what_is_wrong(string line, string message)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Table("1.0.0.0,1.0.0.255,AU\n" + line));
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void A_gateway_with_a_missing_or_broken_table_does_not_start_and_says_which_setting_to_fix()
    {
        var broken = Path.GetTempFileName();
        try
        {
            File.WriteAllText(broken, "1.0.0.0,1.0.0.255,AU\n1.0.0.0,oops,AU\n");
            foreach (var path in new[] { broken, broken + ".missing" })
            {
                var ex = Assert.Throws<OptionsValidationException>(() => GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(
                    new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0", ["ChatCluster:Gateway:CountryTablePath"] = path })));
                Assert.Contains("ChatCluster:Gateway:CountryTablePath", ex.Message);
            }
        }
        finally
        {
            File.Delete(broken);
        }
    }
}

/// <summary>A gateway whose country table places the loopback network (where the test clients come from) in Germany.</summary>
public sealed class CountryTableGatewayFixture : GatewayFixture
{
    private readonly string table = WriteCountryTable("127.0.0.0,127.255.255.255,DE\n::1,::1,AT\n");

    protected override Dictionary<string, string?> Settings => new() { ["ChatCluster:Gateway:CountryTablePath"] = table };

    /// <summary>A country table (<c>first,last,CC</c> lines) in a temporary file, for a fixture's settings.</summary>
    public static string WriteCountryTable(string csv)
    {
        var path = Path.Combine(Path.GetTempPath(), $"countries-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, csv);
        return path;
    }
}

/// <summary>R2: the statistics keep where visitors come from only as a country per day, never the address.</summary>
public sealed class CoarseLocationTests(CountryTableGatewayFixture gateway) : IClassFixture<CountryTableGatewayFixture>
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task A_visitors_country_is_counted_in_the_statistics_and_the_report_and_their_address_is_not()
    {
        var tenant = "geo-" + Ids.Random(6);
        var siteKey = await gateway.CreateTenant(tenant, $"owner@{tenant}.test", Password);
        var owner = await gateway.Login(tenant, $"owner@{tenant}.test", Password);
        string visitorId;
        await using (var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json))
        {
            visitorId = (string)(await visitor.HelloVisitor(siteKey))["visitorId"]!;
            var conversationId = await visitor.StartConversation(name: "Joanna", email: "joanna@example.com");
            await visitor.SendMessage(conversationId, "m-1", "Hallo!");
        }

        JsonObject stats = null!;
        var until = DateTime.UtcNow.AddSeconds(20);
        while ((stats = await (await gateway.Call(HttpMethod.Get, "/api/stats", owner)).Json())["totals"]!["conversationsByCountry"]!.AsObject().Count == 0)
        {
            Assert.True(DateTime.UtcNow < until, "the conversation was not counted by country: " + stats.ToJsonString());
            await Task.Delay(200);
        }
        var counted = Assert.Single(stats["totals"]!["conversationsByCountry"]!.AsObject());
        Assert.Equal(("DE", 1L), (counted.Key, (long)counted.Value!));

        var report = await (await gateway.Call(HttpMethod.Get, "/api/reports", owner)).Json();
        var country = Assert.Single(report["countries"]!.AsArray())!;
        Assert.Equal("DE", (string)country["country"]!);
        Assert.Equal(1, (long)country["conversations"]!);
        Assert.DoesNotContain("127.0.0.1", stats.ToJsonString() + report.ToJsonString());

        // Held with the person, the country is part of what they can export (R5).
        var export = await (await gateway.Call(HttpMethod.Get, $"/api/privacy/subjects/{visitorId}/export", owner)).Json();
        Assert.Equal("DE", (string)export["visitor"]!["lastConnection"]!["country"]!);
    }

}
