using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;
using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Browser.Tests;

/// <summary>W1, W2: one tag embeds the widget; it keeps to localStorage, respects the host page and fails calmly.</summary>
[Collection(BrowserCollection.Name)]
public sealed class EmbeddingTests(BrowserFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task The_widget_sets_no_cookie_keeps_its_state_in_localStorage_and_forgetting_it_makes_a_new_visitor()
    {
        await using var context = await fixture.NewContext();
        var widget = new Widget(await context.NewPageAsync());
        await widget.Page.GotoAsync(fixture.GatewayUri.ToString());
        await widget.Open();
        await widget.Say("Is this cookieless?");
        await Expect(widget.Mine.Last).ToHaveAttributeAsync("data-state", "sent");
        await widget.ThemeButton.ClickAsync();

        Assert.Equal("", await widget.Page.EvaluateAsync<string>("document.cookie"));
        Assert.Empty(await context.CookiesAsync());
        var prefix = $"chatcluster.{fixture.SiteKey}.";
        var keys = await widget.Page.EvaluateAsync<string[]>("Object.keys(localStorage).sort()");
        Assert.Equal(new[] { "conversationId", "lastSeq", "open", "theme", "visitorToken" }.Select(k => prefix + k), keys);
        Assert.Equal("1", await widget.LocalStorage(prefix + "open"));
        Assert.Equal("dark", await widget.LocalStorage(prefix + "theme"));
        Assert.Equal("1", await widget.LocalStorage(prefix + "lastSeq"));
        var firstToken = await widget.LocalStorage(prefix + "visitorToken");

        await widget.Page.EvaluateAsync("localStorage.clear()");
        await widget.Page.ReloadAsync();
        await widget.Open();
        await Expect(widget.Presence).Not.ToHaveTextAsync("Connecting…");
        await Expect(widget.Messages).ToHaveCountAsync(0);
        await widget.Page.WaitForFunctionAsync("k => localStorage.getItem(k) !== null", prefix + "visitorToken");
        var secondToken = await widget.LocalStorage(prefix + "visitorToken");
        Assert.NotEqual(firstToken.Split('.')[0], secondToken.Split('.')[0]);
        Assert.Empty(await context.CookiesAsync());
        Assert.Empty(widget.Errors);
    }

    [Fact]
    public async Task A_page_on_an_origin_the_tenant_does_not_allow_shows_a_clear_message_and_keeps_working()
    {
        await using var context = await fixture.NewContext();
        var widget = new Widget(await context.NewPageAsync());
        var sockets = 0;
        widget.Page.WebSocket += (_, _) => sockets++;
        await widget.Page.GotoAsync(new Uri(fixture.ForeignUri, "shop").ToString());
        await widget.Open();

        await Expect(widget.Notice).ToHaveTextAsync("Chat is not available on this website.");
        await Expect(widget.Notice).ToHaveAttributeAsync("role", "alert");
        await Expect(widget.Input).ToBeHiddenAsync();
        // Nothing under the red notice invites the visitor to write.
        await Expect(widget.Page.Locator("#chatcluster-widget .log")).ToHaveAttributeAsync("data-empty", "");
        await widget.Page.ClickAsync("#host-button");
        await Expect(widget.Page.Locator("#host-button")).ToHaveTextAsync("clicked");
        await Task.Delay(2500); // a refused widget does not retry
        Assert.Equal(1, sockets);
        Assert.Empty(widget.Errors);
    }

    [Fact]
    public async Task With_the_gateway_down_the_widget_says_so_retries_and_never_throws()
    {
        await using var context = await fixture.NewContext();
        var page = await context.NewPageAsync();
        await page.AddInitScriptAsync("""
            window.__errors = [];
            window.addEventListener('error', e => window.__errors.push(String(e.message)));
            window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));
            """);
        var widget = new Widget(page);
        var sockets = 0;
        page.WebSocket += (_, _) => sockets++;
        await page.GotoAsync(new Uri(fixture.ForeignUri, $"down?port={ListenPorts.Next()}").ToString());
        await widget.Open();

        await Expect(widget.Notice).ToHaveTextAsync("Chat unavailable, retrying…");
        await widget.Say("anyone there?");
        await Expect(widget.Mine.Last).ToHaveAttributeAsync("data-state", "sending");
        await page.ClickAsync("#host-button");
        await Expect(page.Locator("#host-button")).ToHaveTextAsync("clicked");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (sockets < 2 && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.True(sockets >= 2, $"the widget should keep retrying; it tried {sockets} time(s)");
        Assert.Empty(await page.EvaluateAsync<string[]>("window.__errors"));
        Assert.Empty(widget.Errors);
    }

    [Fact]
    public async Task The_widget_follows_a_dark_color_scheme_and_a_german_browser()
    {
        await using var context = await fixture.NewContext(ColorScheme.Dark, "de-DE");
        var widget = new Widget(await context.NewPageAsync());
        await widget.Page.GotoAsync(fixture.GatewayUri.ToString());
        await Expect(widget.Launcher).ToHaveAttributeAsync("aria-label", "Chat öffnen");
        await widget.Open();

        await Expect(widget.Root).ToHaveAttributeAsync("data-theme", "dark");
        await Expect(widget.Page.Locator("#chatcluster-widget .title")).ToHaveTextAsync("Chatten Sie mit uns");
        await Expect(widget.Launcher).ToHaveAttributeAsync("aria-expanded", "true");
        await widget.Name.FillAsync("Grete");
        await widget.Say("Hallo!");
        await Expect(widget.Mine.Last.Locator(".state")).ToHaveTextAsync("Gesendet");

        var path = BrowserFixture.Screenshot("widget-dark");
        await widget.Page.ScreenshotAsync(new() { Path = path });
        output.WriteLine($"screenshot: {path}");

        // Keyboard: Escape closes the panel and gives focus back to the launcher.
        await widget.Input.PressAsync("Escape");
        await Expect(widget.Panel).ToBeHiddenAsync();
        await Expect(widget.Launcher).ToBeFocusedAsync();
        Assert.Empty(widget.Errors);
    }

    [Theory]
    [InlineData("")]
    [InlineData("agent/")]
    public async Task The_demo_page_and_the_console_load_without_a_failed_request_favicon_included(string path)
    {
        await using var context = await fixture.NewContext();
        var page = await context.NewPageAsync();
        var failed = new List<string>();
        page.Response += (_, response) => { if (response.Status >= 400) failed.Add($"{response.Status} {response.Url}"); };
        await page.GotoAsync(new Uri(fixture.GatewayUri, path).ToString());
        await page.WaitForLoadStateAsync(Microsoft.Playwright.LoadState.NetworkIdle);
        // Chromium asks for /favicon.ico by itself; make sure it has been answered before judging.
        var icon = await context.APIRequest.GetAsync(new Uri(fixture.GatewayUri, "favicon.ico").ToString());
        Assert.Equal(200, icon.Status);
        Assert.Equal("image/x-icon", icon.Headers["content-type"]);
        Assert.Empty(failed);
    }
}

