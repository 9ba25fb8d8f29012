using System.Text.Json.Nodes;
using ChatCluster.Conversations;
using ChatCluster.Gateway.Delivery;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChatCluster.Gateway.Tests;

/// <summary>
/// Push delivery (issue 13): one registration per gateway per conversation; what the gateway missed is read from the
/// conversation's log, in order, once; sends are refused with a retryable error while delivery lags.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class DeliveryTests(GatewayFixture gateway)
{
    private ConversationHub Hub => gateway.Services.GetRequiredService<ConversationHub>();

    private async Task<(ChatClient Visitor, IConversationGrain Conversation, string ConversationId, Participant Me)> VisitorInConversation()
    {
        var visitor = await ChatClient.Connect(gateway.SocketUri, Encoding2.Json);
        var welcome = await visitor.HelloVisitor(gateway.SiteKey);
        var conversationId = await visitor.StartConversation();
        var key = GrainKeys.Scoped((string)welcome["tenantId"]!, conversationId);
        var me = new Participant(ParticipantKind.Visitor, (string)welcome["visitorId"]!, null);
        return (visitor, gateway.Services.GetRequiredService<IClusterClient>().GetGrain<IConversationGrain>(key), conversationId, me);
    }

    private static async Task<List<long>> Messages(ChatClient client, int count)
    {
        var seqs = new List<long>();
        while (seqs.Count < count) seqs.Add((long)(await client.Next("message"))["seq"]!);
        return seqs;
    }

    [Fact]
    public async Task Messages_whose_push_was_lost_are_read_from_the_conversation_before_the_next_one()
    {
        var (visitor, conversation, conversationId, me) = await VisitorInConversation();
        await using var _ = visitor;

        await conversation.Unfollow(Hub.Reference); // the pushes of the next two messages are lost
        await conversation.Send(me, "lost-1", "one");
        await conversation.Send(me, "lost-2", "two");
        await conversation.Follow(Hub.Reference);
        await visitor.SendMessage(conversationId, "m-3", "three");

        Assert.Equal([1L, 2, 3], await Messages(visitor, 3));
        await Task.Delay(200);
        Assert.DoesNotContain(visitor.Drain(), f => (string?)f["type"] == "message"); // each once
    }

    [Fact]
    public async Task A_conversation_that_forgot_this_gateway_is_followed_again_by_the_refresh_and_the_gap_is_read()
    {
        var (visitor, conversation, _, me) = await VisitorInConversation();
        await using var _ = visitor;

        await conversation.Unfollow(Hub.Reference); // as a reactivated conversation would have
        await conversation.Send(me, "quiet-1", "sent while forgotten");
        await Hub.Refresh(CancellationToken.None);

        Assert.Equal([1L], await Messages(visitor, 1));
        await conversation.Send(me, "quiet-2", "pushed again");
        Assert.Equal([2L], await Messages(visitor, 1));
    }

    [Fact]
    public async Task While_delivery_lags_a_send_is_refused_as_rate_limited_and_not_posted_and_the_resend_goes_through()
    {
        var (visitor, conversation, conversationId, me) = await VisitorInConversation();
        await using var _ = visitor;
        var pressure = gateway.Services.GetRequiredService<DeliveryPressure>();

        for (var i = 0; i < DeliveryPressure.LateDeliveriesForBacklog; i++)
            pressure.Observe(TimeSpan.FromSeconds(30)); // a backlog: messages reach sockets 30 s after their ack
        await visitor.Send(new { type = "send", id = "m-1", conversationId, clientMessageId = "m-1", text = "too soon" });
        var refused = await visitor.Next("error");
        Assert.Equal("rate_limited", (string)refused["code"]!);
        Assert.Equal("m-1", (string)refused["id"]!);
        var retryAfter = (int)refused["retryAfterMs"]!;
        Assert.InRange(retryAfter, 100, 2000);
        Assert.Empty((await conversation.GetHistory(me, 0, 10)).Messages);

        await Task.Delay(retryAfter + 50);
        Assert.Equal(1, (long)(await visitor.SendMessage(conversationId, "m-1", "too soon"))["seq"]!);
    }

    [Fact]
    public void Delivery_pressure_refuses_on_a_backlog_of_late_deliveries_not_on_one_slow_message_and_lifts_after_one_bound()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var pressure = new DeliveryPressure(new Hosting.GatewayOptions { MaxDeliveryLag = TimeSpan.FromSeconds(1) }, time);

        for (var i = 0; i < 100; i++) pressure.Observe(TimeSpan.FromMilliseconds(900)); // within the bound
        pressure.Observe(TimeSpan.FromSeconds(5)); // one slow message is no backlog
        Assert.False(pressure.IsBehind(out _));
        time.Advance(TimeSpan.FromSeconds(2)); // late deliveries far apart are no backlog either
        for (var i = 1; i < DeliveryPressure.LateDeliveriesForBacklog; i++) pressure.Observe(TimeSpan.FromSeconds(3));
        Assert.False(pressure.IsBehind(out _));

        pressure.Observe(TimeSpan.FromSeconds(3));
        Assert.True(pressure.IsBehind(out var retry));
        Assert.Equal(TimeSpan.FromSeconds(1), retry);
        time.Advance(TimeSpan.FromMilliseconds(950));
        Assert.True(pressure.IsBehind(out retry));
        Assert.Equal(TimeSpan.FromMilliseconds(100), retry); // never less than 100 ms
        var refused = Assert.Throws<ChatRuleException>(pressure.ThrowIfBehind);
        Assert.Equal(ErrorCodes.RateLimited, refused.Code);

        time.Advance(TimeSpan.FromMilliseconds(60));
        Assert.False(pressure.IsBehind(out _));
    }

    [Theory]
    [InlineData("ChatCluster:Gateway:MaxDeliveryLag", "00:00:00")]
    [InlineData("ChatCluster:Gateway:MaxDeliveryLag", "1.00:00:00")]
    [InlineData("ChatCluster:Gateway:FollowRefreshInterval", "00:00:00")]
    [InlineData("ChatCluster:Gateway:FollowRefreshInterval", "00:05:00")]
    [InlineData("ChatCluster:Gateway:InboxActivityInterval", "-00:00:01")]
    [InlineData("ChatCluster:Gateway:InboxActivityInterval", "00:00:05")]
    public void A_nonsense_delivery_setting_stops_the_gateway_and_names_the_setting(string setting, string value)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Hosting.GatewayApp.Build([], b => b.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0", [setting] = value })));
        Assert.Contains(setting, ex.Message);
    }
}
