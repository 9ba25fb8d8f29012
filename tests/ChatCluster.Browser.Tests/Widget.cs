using Microsoft.Playwright;

namespace ChatCluster.Browser.Tests;

/// <summary>The widget on a host page, seen the way a visitor sees it (Playwright's CSS pierces its open shadow root).</summary>
public sealed class Widget
{
    private const string Host = "#chatcluster-widget";

    public Widget(IPage page)
    {
        Page = page;
        page.PageError += (_, error) => Errors.Add(error);
    }

    public IPage Page { get; }

    /// <summary>Uncaught errors and unhandled rejections on the host page.</summary>
    public List<string> Errors { get; } = [];

    public ILocator Root => Page.Locator($"{Host} .cc");
    public ILocator Launcher => Page.Locator($"{Host} .launcher");
    public ILocator Panel => Page.Locator($"{Host} .panel");
    public ILocator Presence => Page.Locator($"{Host} .presence");
    public ILocator Notice => Page.Locator($"{Host} .notice");
    public ILocator Messages => Page.Locator($"{Host} .log .msg");
    public ILocator MessageTexts => Page.Locator($"{Host} .log .msg .text");
    public ILocator Mine => Page.Locator($"{Host} .log .msg.mine");
    public ILocator Theirs => Page.Locator($"{Host} .log .msg.theirs");
    public ILocator Typing => Page.Locator($"{Host} .typing");
    public ILocator Ended => Page.Locator($"{Host} .ended");
    public ILocator Input => Page.Locator($"{Host} textarea");
    public ILocator Name => Page.Locator($"{Host} input[name=name]");
    public ILocator Email => Page.Locator($"{Host} input[name=email]");
    public ILocator ThemeButton => Page.Locator($"{Host} .theme");

    public async Task Open()
    {
        await Launcher.ClickAsync();
        await Assertions.Expect(Panel).ToBeVisibleAsync();
    }

    public async Task Say(string text)
    {
        await Input.FillAsync(text);
        await Input.PressAsync("Enter");
    }

    public Task<string> LocalStorage(string key) =>
        Page.EvaluateAsync<string>("k => localStorage.getItem(k)", key);
}

/// <summary>The agent console, seen the way an agent sees it.</summary>
public sealed class AgentConsole(IPage page)
{
    public IPage Page { get; } = page;
    public ILocator Inbox => Page.Locator("#inbox li");
    public ILocator Messages => Page.Locator("#log .msg");
    public ILocator MessageTexts => Page.Locator("#log .msg .text");
    public ILocator Mine => Page.Locator("#log .msg.mine");
    public ILocator Typing => Page.Locator("#typing");
    public ILocator Reply => Page.Locator("#reply-text");
    public ILocator Title => Page.Locator("#conv-title");
    public ILocator Meta => Page.Locator("#conv-meta");

    public ILocator Conversation(string visitorName) => Page.Locator("#inbox li", new() { HasText = visitorName });

    public async Task Say(string text)
    {
        await Reply.FillAsync(text);
        await Reply.PressAsync("Enter");
    }
}
