using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ChatCluster.Browser.Tests;

/// <summary>W6, T3: a visitor and an agent chat in real browsers, each seeing the other's typing and reading.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConversationTests(BrowserFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Visitor_and_agent_chat_both_ways_and_see_typing_and_read_receipts()
    {
        await using var visitorContext = await fixture.NewContext();
        await using var agentContext = await fixture.NewContext();
        var widget = new Widget(await visitorContext.NewPageAsync());
        var console = new AgentConsole(await agentContext.NewPageAsync());
        await fixture.LogInAgent(console.Page);

        await widget.Page.GotoAsync(fixture.GatewayUri.ToString());
        await widget.Open();
        await Expect(widget.Presence).ToHaveTextAsync("We're online");
        // W3: the pre-chat form says that name and email are optional (its legend, not the rating form's).
        await Expect(widget.Page.Locator("#chatcluster-widget .contact legend")).ToHaveTextAsync("Introduce yourself (optional)");
        await Shot(widget.Page, "widget-prechat");
        await widget.Name.FillAsync("Ada");
        await widget.Say("Hello, where is my order?");
        await Expect(widget.Mine.Last).ToHaveAttributeAsync("data-state", "sent");

        // The new conversation appears in the agent's inbox without a refresh, with its unread count.
        var entry = console.Conversation("Ada");
        await Expect(entry.Locator(".badge")).ToHaveTextAsync("1");
        await entry.Locator("button").ClickAsync();
        await Expect(console.MessageTexts).ToHaveTextAsync(["Hello, where is my order?"]);
        await Expect(entry.Locator(".badge")).ToHaveTextAsync("");
        await Expect(widget.Mine.Last).ToHaveAttributeAsync("data-state", "read");
        await Expect(widget.Mine.Last.Locator(".state")).ToHaveTextAsync("Read");

        await console.Reply.PressSequentiallyAsync("Let me check");
        await Expect(widget.Typing).ToHaveTextAsync(new Regex("is typing"));
        await console.Reply.PressAsync("Enter");
        await Expect(widget.Theirs.Locator(".text")).ToHaveTextAsync(["Let me check"]);
        await Expect(widget.Typing).ToHaveTextAsync("");
        await Expect(console.Mine.Last).ToHaveAttributeAsync("data-state", "read");

        await widget.Input.PressSequentiallyAsync("Thanks");
        await Expect(console.Typing).ToHaveTextAsync("Ada is typing…");
        await widget.Input.PressAsync("Enter");
        await Expect(console.MessageTexts).ToHaveTextAsync(["Hello, where is my order?", "Let me check", "Thanks"]);
        await console.Say("It ships tomorrow.");
        await Expect(widget.MessageTexts).ToHaveTextAsync(["Hello, where is my order?", "Let me check", "Thanks", "It ships tomorrow."]);
        Assert.Empty(widget.Errors);

        await Shot(widget.Page, "widget-light");
        await Shot(console.Page, "agent-console");

        await console.Page.ClickAsync("#close-conv");
        await Expect(widget.Ended).ToBeVisibleAsync();
        await Expect(widget.Ended).ToContainTextAsync("This chat has ended.");
        await Expect(console.Meta).ToContainTextAsync("Closed");
    }

    [Fact]
    public async Task Reloading_the_page_brings_back_the_conversation_with_every_message_once()
    {
        await using var visitorContext = await fixture.NewContext();
        await using var agentContext = await fixture.NewContext();
        var widget = new Widget(await visitorContext.NewPageAsync());
        var console = new AgentConsole(await agentContext.NewPageAsync());
        await fixture.LogInAgent(console.Page);

        await widget.Page.GotoAsync(fixture.GatewayUri.ToString());
        await widget.Open();
        await widget.Name.FillAsync("Reloading Rita");
        await widget.Say("one");
        await Expect(widget.Mine.Last).ToHaveAttributeAsync("data-state", "sent");
        await widget.Say("two");
        await console.Conversation("Reloading Rita").Locator("button").ClickAsync();
        await console.Say("three");
        await Expect(widget.MessageTexts).ToHaveTextAsync(["one", "two", "three"]);

        await widget.Page.ReloadAsync();
        await Expect(widget.Panel).ToBeVisibleAsync(); // it was open: it stays open
        await Expect(widget.MessageTexts).ToHaveTextAsync(["one", "two", "three"]);
        await console.Say("four");
        await Expect(widget.MessageTexts).ToHaveTextAsync(["one", "two", "three", "four"]);
        Assert.Empty(widget.Errors);
    }

    [Fact]
    public async Task A_dropped_connection_comes_back_with_the_missed_messages_once_and_in_order()
    {
        await using var visitorContext = await fixture.NewContext();
        await using var agentContext = await fixture.NewContext();
        var page = await visitorContext.NewPageAsync();
        var widget = new Widget(page);
        var console = new AgentConsole(await agentContext.NewPageAsync());
        await fixture.LogInAgent(console.Page);

        // The network between this page and the gateway, under the test's control.
        var offline = false;
        IWebSocketRoute? current = null;
        await page.RouteWebSocketAsync(new Regex("/ws$"), ws =>
        {
            if (offline)
            {
                _ = ws.CloseAsync(new() { Code = 4000, Reason = "offline" });
                return;
            }
            current = ws;
            ws.ConnectToServer();
        });

        await page.GotoAsync(fixture.GatewayUri.ToString());
        await widget.Open();
        await widget.Name.FillAsync("Dropping Dora");
        await widget.Say("before the drop");
        await console.Conversation("Dropping Dora").Locator("button").ClickAsync();
        await console.Say("reply 1");
        await Expect(widget.MessageTexts).ToHaveTextAsync(["before the drop", "reply 1"]);

        offline = true;
        await current!.CloseAsync(new() { Code = 4000, Reason = "network gone" });
        await Expect(widget.Notice).ToHaveTextAsync("Chat unavailable, retrying…");
        await console.Say("reply 2");
        await console.Say("reply 3");
        await widget.Say("written while offline");
        await Expect(console.MessageTexts).ToHaveTextAsync(["before the drop", "reply 1", "reply 2", "reply 3"]);

        offline = false;
        await page.EvaluateAsync("window.dispatchEvent(new Event('online'))");
        await Expect(widget.Notice).ToBeHiddenAsync();
        await Expect(widget.MessageTexts).ToHaveTextAsync(["before the drop", "reply 1", "reply 2", "reply 3", "written while offline"]);
        await Expect(console.MessageTexts).ToHaveTextAsync(["before the drop", "reply 1", "reply 2", "reply 3", "written while offline"]);
        await Expect(widget.Mine.Last).ToHaveAttributeAsync("data-state", new Regex("sent|read"));
        Assert.Empty(widget.Errors);
    }

    private async Task Shot(IPage page, string name)
    {
        var path = BrowserFixture.Screenshot(name);
        await page.ScreenshotAsync(new() { Path = path });
        output.WriteLine($"screenshot: {path}");
    }
}
