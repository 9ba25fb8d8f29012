using System.Net.WebSockets;

namespace ChatCluster.Gateway.Tests;

/// <summary>A gateway with tight limits, so timeouts and floods are exercised in seconds.</summary>
public sealed class StrictGatewayFixture : GatewayFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["ChatCluster:Gateway:HelloTimeout"] = "00:00:01",
        ["ChatCluster:Gateway:IdleTimeout"] = "00:00:02",
        ["ChatCluster:Gateway:FramesPerSecond"] = "5",
        ["ChatCluster:Gateway:FrameBurst"] = "10",
        ["ChatCluster:Gateway:RateLimitStrikes"] = "40",
    };
}

public sealed class TimeoutAndFloodTests(StrictGatewayFixture gateway) : IClassFixture<StrictGatewayFixture>
{
    [Fact]
    public async Task A_connection_without_hello_is_closed_with_4001()
    {
        await using var client = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        Assert.Equal("not_authenticated", (string)(await client.Next("error"))["code"]!);
        Assert.Equal((WebSocketCloseStatus)4001, await client.Closed());
    }

    [Fact]
    public async Task A_silent_connection_is_closed_with_4008_and_pings_keep_it_open()
    {
        await using var silent = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await silent.HelloVisitor(gateway.SiteKey);
        await using var chatty = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await chatty.HelloVisitor(gateway.SiteKey);

        var until = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < until)
        {
            await chatty.Send(new { type = "ping" });
            await Task.Delay(500);
        }
        Assert.Equal((WebSocketCloseStatus)4008, await silent.Closed());
        Assert.Equal(WebSocketState.Open, chatty.State);
    }

    [Fact]
    public async Task A_flood_is_rate_limited_without_losing_anything_acknowledged_and_others_are_unaffected()
    {
        await using var bystander = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        await bystander.HelloVisitor(gateway.SiteKey);
        using var stop = new CancellationTokenSource();
        var keepAlive = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await bystander.Send(new { type = "ping" });
                await Task.Delay(500);
            }
        });

        await using var flooder = await ChatClient.Connect(gateway.SocketUri, Encoding2.MessagePack);
        await flooder.HelloVisitor(gateway.SiteKey);
        var conversationId = await flooder.StartConversation();
        for (var i = 0; i < 30; i++)
            await flooder.Send(new { type = "send", id = $"f{i}", conversationId, clientMessageId = $"f{i}", text = $"flood {i}" });

        HashSet<string> acked = [], limited = [];
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (acked.Count + limited.Count < 30 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            var seen = flooder.Seen;
            acked = [.. seen.Where(f => (string?)f["type"] == "ack").Select(f => (string)f["clientMessageId"]!)];
            limited = [.. seen.Where(f => (string?)f["code"] == "rate_limited").Select(f => (string)f["id"]!)];
        }
        Assert.Equal(30, acked.Count + limited.Count); // every frame got an answer
        Assert.NotEmpty(limited);
        Assert.All(flooder.Seen.Where(f => (string?)f["code"] == "rate_limited"), f => Assert.True((long)f["retryAfterMs"]! > 0));

        for (var i = 0; i < 6; i++) // let the bucket refill (pinging, or the 2 s idle timeout closes us)
        {
            await Task.Delay(400);
            await flooder.Send(new { type = "ping" });
        }
        await flooder.Send(new { type = "resume", id = "check", conversationId, afterSeq = 0 });
        var history = await flooder.Next("history");
        var stored = history["messages"]!.AsArray().Select(m => (string)m!["clientMessageId"]!).ToHashSet();
        Assert.Subset(stored, acked);
        Assert.Equal(acked.Count, stored.Count); // and nothing that was refused slipped in

        await stop.CancelAsync();
        await keepAlive;
        await BadInputTests.AssertUsable(bystander);
    }

    [Fact]
    public async Task A_client_that_keeps_flooding_is_closed_with_4029()
    {
        await using var flooder = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        try
        {
            for (var i = 0; i < 200 && flooder.State == WebSocketState.Open; i++) await flooder.Send(new { type = "ping" });
        }
        catch (WebSocketException)
        {
        }
        Assert.Equal((WebSocketCloseStatus)4029, await flooder.Closed());
    }
}
