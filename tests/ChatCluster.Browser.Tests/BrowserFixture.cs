using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Demo;
using ChatCluster.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace ChatCluster.Browser.Tests;

/// <summary>
/// The real gateway in its embedded default on a loopback port, a second web server on another port that
/// plays a foreign website, and Debian's Chromium driven by Playwright (no browser download).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string DemoEmail = "agent@demo.local";
    public const string DemoPassword = "demo-password-123";
    public const string ChromiumPath = "/usr/bin/chromium";

    private WebApplication? gateway;
    private WebApplication? foreign;
    private IPlaywright? playwright;

    public Uri GatewayUri { get; private set; } = null!;
    public Uri ForeignUri { get; private set; } = null!;
    public string SiteKey { get; private set; } = "";
    public IBrowser Browser { get; private set; } = null!;
    public IServiceProvider Services => gateway!.Services;
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string ScreenshotDir { get; } = Path.Combine(RepoRoot, "artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["ChatCluster:Demo:AgentPassword"] = DemoPassword,
            ["ChatCluster:Auth:LoginAttemptsPerMinute"] = "10000", // every test logs in from 127.0.0.1
            ["ChatCluster:Abuse:NewVisitorsPerMinutePerAddress"] = "100000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Abuse:ConversationsPerMinutePerAddress"] = "100000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Abuse:ConversationsPerHourPerVisitor"] = "100000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Abuse:NewVisitorsPerMinutePerTenant"] = "1000000", // tests open many visitors from 127.0.0.1
            ["ChatCluster:Silo:SiloPort"] = ListenPorts.Next().ToString(),
            ["ChatCluster:Silo:GatewayPort"] = ListenPorts.Next().ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
            // The integrations tests' webhook receiver listens on loopback (an operator setting), fails fast and is disabled soon.
            ["ChatCluster:Webhooks:AllowPrivateTargets"] = "true",
            ["ChatCluster:Webhooks:FirstDelay"] = "00:00:00.200",
            ["ChatCluster:Webhooks:MaximumDelay"] = "00:00:00.400",
            ["ChatCluster:Webhooks:DisableAfterFailures"] = "3",
        };
        var webRoot = Path.Combine(RepoRoot, "client-gateway", "wwwroot");
        gateway = GatewayApp.Build(["--webroot", webRoot], b => b.Configuration.AddInMemoryCollection(settings));
        await gateway.StartAsync();
        GatewayUri = Address(gateway);

        var seeder = gateway.Services.GetRequiredService<DemoSeeder>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (seeder.Tenant is null && DateTime.UtcNow < deadline) await Task.Delay(50);
        SiteKey = seeder.Tenant?.SiteKey ?? throw new InvalidOperationException("The demo tenant was not seeded.");

        foreign = BuildForeignSite(webRoot);
        await foreign.StartAsync();
        ForeignUri = Address(foreign);

        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium (apt-get install -y chromium).");
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Directory.CreateDirectory(ScreenshotDir);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        playwright?.Dispose();
        foreach (var app in new[] { foreign, gateway })
        {
            if (app is null) continue;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>A fresh browser profile: its own localStorage, like another person's browser.</summary>
    public Task<IBrowserContext> NewContext(ColorScheme scheme = ColorScheme.Light, string locale = "en-US") =>
        Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ColorScheme = scheme,
            Locale = locale,
            ViewportSize = new ViewportSize { Width = 1100, Height = 720 },
        });

    /// <summary>Logs the demo agent into the console in <paramref name="page"/>.</summary>
    public Task LogInAgent(IPage page) => LogInAgent(page, DemoEmail, DemoPassword);

    /// <summary>Adds a team member to the demo tenant through the admin API, as the demo owner.</summary>
    public async Task AddDemoAgent(string email, string password, string displayName)
    {
        using var http = new HttpClient { BaseAddress = GatewayUri };
        var login = await http.PostAsJsonAsync("api/auth/login", new { tenantId = "demo", email = DemoEmail, password = DemoPassword });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/agents") { Content = JsonContent.Create(new { email, password, displayName, role = "agent" }) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        (await http.SendAsync(request)).EnsureSuccessStatusCode();
    }

    /// <summary>Sets the routing capacity of every demo team member (0 turns automatic routing off for them).</summary>
    public async Task SetDemoCapacities(int capacity)
    {
        using var http = new HttpClient { BaseAddress = GatewayUri };
        var login = await http.PostAsJsonAsync("api/auth/login", new { tenantId = "demo", email = DemoEmail, password = DemoPassword });
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        foreach (var agent in (await http.GetFromJsonAsync<JsonArray>("api/agents"))!)
            (await http.PutAsJsonAsync($"api/agents/{agent!["agentId"]}/capacity", new { capacity })).EnsureSuccessStatusCode();
    }

    /// <summary>Logs an agent into the console in <paramref name="page"/>.</summary>
    public async Task LogInAgent(IPage page, string email, string password)
    {
        await page.GotoAsync(new Uri(GatewayUri, "agent/").ToString());
        await page.FillAsync("input[name=tenantId]", "demo");
        await page.FillAsync("input[name=email]", email);
        await page.FillAsync("input[name=password]", password);
        await page.ClickAsync("#login-form button[type=submit]");
        await Assertions.Expect(page.Locator("#connection")).ToHaveTextAsync("Connected");
    }

    public static string Screenshot(string name) => Path.Combine(ScreenshotDir, name + ".png");

    /// <summary>
    /// Another website (another origin): /shop embeds the gateway's widget; /down serves the widget itself
    /// but points it at a gateway that is not running.
    /// </summary>
    private WebApplication BuildForeignSite(string webRoot)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.MapGet("/shop", () => Results.Content(Page($"""<script src="{GatewayUri}widget.js" data-site-key="{SiteKey}" async></script>"""), "text/html"));
        app.MapGet("/down", (int port) => Results.Content(Page(
            $"""<script src="/widget.js" data-site-key="{SiteKey}" data-gateway="http://127.0.0.1:{port}" async></script>"""), "text/html"));
        app.MapGet("/widget.js", () => Results.File(Path.Combine(webRoot, "widget.js"), "text/javascript"));
        return app;
    }

    private static string Page(string tag) =>
        $"""
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Another shop</title></head>
        <body><h1>Another shop</h1><p id="host-content">The host page keeps working.</p>
        <button id="host-button" onclick="this.textContent='clicked'">Click me</button>
        {tag}</body></html>
        """;

    private static Uri Address(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.EndsWith('/') ? address : address + "/");
    }


    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ChatCluster.sln"))) return dir.FullName;
        throw new InvalidOperationException("ChatCluster.sln not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
