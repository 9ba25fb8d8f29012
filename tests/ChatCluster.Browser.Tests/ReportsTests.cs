using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatCluster.Browser.Tests;

/// <summary>A1: an admin opens the reports view, sees charts, and reads them with the keyboard.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ReportsTests(BrowserFixture fixture)
{
    [Fact]
    public async Task An_admin_sees_volume_and_response_time_charts_and_can_read_each_bar_with_the_keyboard()
    {
        await using var context = await fixture.NewContext();
        var page = await context.NewPageAsync();
        await fixture.LogInAgent(page);

        var toggle = page.Locator("#reports-toggle");
        await Expect(toggle).ToBeVisibleAsync();
        await toggle.ClickAsync();
        await Expect(page.Locator("#reports-status")).ToContainTextAsync("Report for");
        await Expect(page.Locator("#reports-tiles")).ToContainTextAsync("Conversations");
        await Expect(page.Locator("#chart-volume svg")).ToBeVisibleAsync();
        await Expect(page.Locator("#chart-first-response svg")).ToBeVisibleAsync();
        await Expect(page.Locator("#chart-volume rect.bar")).ToHaveCountAsync(30);
        await Expect(page.Locator("#reports-countries")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"Unknown: \d+|No conversations"));

        await page.Locator("#chart-volume svg").FocusAsync();
        await page.Keyboard.PressAsync("End");
        await Expect(page.Locator("#chart-volume .readout")).ToContainTextAsync("conversations");
        await Expect(page.Locator("#chart-volume rect.bar.current")).ToHaveCountAsync(1);

        await toggle.ClickAsync();
        await Expect(page.Locator("#reports")).ToBeHiddenAsync();
        await Expect(page.Locator("#inbox-title")).ToBeVisibleAsync();
    }
}
