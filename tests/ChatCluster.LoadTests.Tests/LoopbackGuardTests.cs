using System.Net;
using ChatCluster.LoadTests.Network;

namespace ChatCluster.LoadTests.Tests;

public sealed class LoopbackGuardTests
{
    [Theory]
    [InlineData("ws://10.0.0.5:5000/relay")]
    [InlineData("http://192.168.1.20/")]
    [InlineData("ws://172.16.0.1/")]
    [InlineData("ws://8.8.8.8/")]
    [InlineData("ws://[2001:db8::1]:80/")]
    [InlineData("ftp://127.0.0.1/")]
    public async Task A_target_outside_loopback_is_refused_with_a_clear_error(string url)
    {
        var error = await Assert.ThrowsAsync<NotLoopbackException>(() => LoopbackGuard.EnsureLoopbackAsync(new Uri(url)));
        Assert.Contains("Refusing target", error.Message);
    }

    [Theory]
    [InlineData("ws://127.0.0.1:5000/relay")]
    [InlineData("http://127.45.6.7/")]
    [InlineData("ws://[::1]:8080/")]
    [InlineData("ws://localhost:5000/")]
    public async Task A_loopback_target_is_accepted(string url)
    {
        var addresses = await LoopbackGuard.EnsureLoopbackAsync(new Uri(url));
        Assert.All(addresses, a => Assert.True(LoopbackGuard.IsLoopback(a)));
    }

    [Fact]
    public void Source_addresses_must_be_loopback()
    {
        Assert.Throws<FormatException>(() => SourceAddresses.Parse("10.0.0.2"));
        Assert.Throws<NotLoopbackException>(() => new LoopbackConnector([IPAddress.Parse("192.168.0.2")]));
    }

    [Fact]
    public void Source_addresses_parse_counts_ranges_and_lists_and_are_dealt_to_workers()
    {
        Assert.Equal(["127.0.0.1", "127.0.0.2", "127.0.0.3"], SourceAddresses.Parse("3").Select(a => a.ToString()));
        var range = SourceAddresses.Parse("127.0.0.2-127.0.0.5");
        Assert.Equal(4, range.Count);
        Assert.Equal(["127.0.0.2", "127.0.0.4"], SourceAddresses.ShareFor(range, 0, 2).Select(a => a.ToString()));
        Assert.Equal(["127.0.0.3", "127.0.0.5"], SourceAddresses.ShareFor(range, 1, 2).Select(a => a.ToString()));
    }
}
