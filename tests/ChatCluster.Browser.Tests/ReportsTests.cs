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

    [Theory]
    [InlineData(1, "1 rating")]
    [InlineData(2, "2 ratings")]
    public async Task The_satisfaction_tile_counts_ratings_in_words_that_agree_with_the_number(int ratings, string expected)
    {
        await using var context = await fixture.NewContext();
        var page = await context.NewPageAsync();
        // The demo tenant's real report, with the rating count set: the page's wording is under test, not the count.
        await page.RouteAsync("**/api/reports?*", async route =>
        {
            var response = await route.FetchAsync();
            var report = System.Text.Json.Nodes.JsonNode.Parse(await response.TextAsync())!;
            report["totals"]!["satisfaction"]!["ratings"] = ratings;
            report["totals"]!["satisfaction"]!["average"] = 4.0;
            await route.FulfillAsync(new() { Response = response, Body = report.ToJsonString() });
        });
        await fixture.LogInAgent(page);
        await page.Locator("#reports-toggle").ClickAsync();

        var tile = page.Locator("#reports-tiles .tile", new() { HasText = "Satisfaction" });
        await Expect(tile.Locator(".tile-note")).ToHaveTextAsync(expected);
    }
}
