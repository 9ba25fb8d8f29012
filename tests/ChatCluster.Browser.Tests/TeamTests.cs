using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatCluster.Browser.Tests;

/// <summary>T3: several agents work the same inbox at once, each in their own browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class TeamTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Two_agents_share_the_inbox_and_see_who_took_a_conversation()
    {
        await fixture.AddDemoAgent("bea@demo.local", "bea-password-123", "Bea");
        await using var visitorContext = await fixture.NewContext();
        await using var firstContext = await fixture.NewContext();
        await using var secondContext = await fixture.NewContext();
        var widget = new Widget(await visitorContext.NewPageAsync());
        var first = new AgentConsole(await firstContext.NewPageAsync());
        var second = new AgentConsole(await secondContext.NewPageAsync());
        await fixture.LogInAgent(first.Page);
        await fixture.LogInAgent(second.Page, "bea@demo.local", "bea-password-123");
        await Expect(first.Page.Locator("#team li", new() { HasText = "Bea" })).ToHaveAttributeAsync("data-status", "online");
        // Automatic routing (T3) would assign the conversation to one of them at once; with both capacities at 0
        // it waits for a manual claim, which is the flow this test is about. Restored at the end.
        await fixture.SetDemoCapacities(0);

        await widget.Page.GotoAsync(fixture.GatewayUri.ToString());
        await widget.Open();
        await widget.Name.FillAsync("Team Tom");
        await widget.Say("Who is there?");
        await Expect(first.Conversation("Team Tom")).ToContainTextAsync("Waiting for an agent");
        await Expect(second.Conversation("Team Tom")).ToContainTextAsync("Waiting for an agent");

        await first.Conversation("Team Tom").Locator("button").ClickAsync();
        await Expect(first.Meta).ToContainTextAsync("Assigned to you");
        await Expect(second.Conversation("Team Tom")).ToContainTextAsync("Assigned to Demo Agent");

        await second.Conversation("Team Tom").Locator("button").ClickAsync();
        await Expect(second.MessageTexts).ToHaveTextAsync(["Who is there?"]);
        await Expect(second.Page.Locator("#claim")).ToBeVisibleAsync();
        await first.Say("Demo Agent here.");
        await Expect(second.MessageTexts).ToHaveTextAsync(["Who is there?", "Demo Agent here."]);
        await Expect(widget.MessageTexts).ToHaveTextAsync(["Who is there?", "Demo Agent here."]);

        // Bea steps away: the visitor's widget still shows the team online while Demo Agent is.
        await second.Page.SelectOptionAsync("#presence", "away");
        await Expect(first.Page.Locator("#team li", new() { HasText = "Bea" })).ToHaveAttributeAsync("data-status", "away");
        await Expect(widget.Presence).ToHaveTextAsync("We're online");
        await fixture.SetDemoCapacities(3);
    }
}
