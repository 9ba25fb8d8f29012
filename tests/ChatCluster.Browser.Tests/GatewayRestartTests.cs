using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace ChatCluster.Browser.Tests;

/// <summary>
/// W5: the gateway a visitor is connected to restarts while the cluster lives on. A silo (in-memory
/// storage and streams, localhost clustering) outlives the gateways; gateway G serves the widget on a
/// fixed port and is stopped and started again on that port; the agent chats from the console on a
/// second gateway G2 throughout.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class GatewayRestartTests(BrowserFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private const string OperatorKey = "restart-test-operator-key-0123456789";
    private const string TenantId = "restarts";
    private const string OwnerEmail = "owner@restarts.test";
    private const string OwnerPassword = "owner-password-123";
    private static readonly Regex Delivered = new("^(sent|read)$");
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(45);

    private readonly string clusterId = "restart-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly int siloGatewayPort = ListenPorts.Next();
    private readonly int widgetPort = ListenPorts.Next();
    private IHost? silo;
    private WebApplication? gateway;
    private WebApplication? agentGateway;
    private readonly List<IBrowserContext> contexts = [];
    private readonly List<string> widgetFrames = [];
    private string siteKey = "";

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatCluster:Silo:Storage"] = "Memory",
            ["ChatCluster:Silo:SiloPort"] = ListenPorts.Next().ToString(),
            ["ChatCluster:Silo:GatewayPort"] = siloGatewayPort.ToString(),
            ["ChatCluster:Silo:ClusterId"] = clusterId,
            ["ChatCluster:Silo:ServiceId"] = clusterId,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.UseOrleans(s => s.AddChatClusterSilo(builder.Configuration));
        silo = builder.Build();
        await silo.StartAsync();

        agentGateway = await StartGateway(0);
        gateway = await StartGateway(widgetPort);

        using var http = new HttpClient { BaseAddress = Address(agentGateway) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tenants")
        {
            Content = JsonContent.Create(new
            {
                tenantId = TenantId,
                name = "Restarts Inc.",
                allowedOrigins = Array.Empty<string>(),
                owner = new { email = OwnerEmail, password = OwnerPassword, displayName = "Owner" },
            }),
        };
        request.Headers.Add("X-Operator-Key", OperatorKey);
        var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        siteKey = (await response.Content.ReadFromJsonAsync<JsonObject>())!["siteKey"]!.GetValue<string>();
    }

    public async Task DisposeAsync()
    {
        foreach (var context in contexts) await context.CloseAsync();
        foreach (var app in new[] { gateway, agentGateway })
        {
            if (app is null) continue;
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await app.StopAsync(stopping.Token);
            await app.DisposeAsync();
        }
        if (silo is not null)
        {
            await silo.StopAsync();
            silo.Dispose();
        }
    }

    [Fact]
    public async Task After_a_graceful_gateway_restart_the_widget_reconnects_and_shows_messages_sent_meanwhile_none_twice()
    {
        var (widget, console) = await StartChat("Restarting Rosa");

        // G drains: the widget is told to reconnect (1012) and finds nobody on the port for a while.
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(15))) await gateway!.StopAsync(stopping.Token);
        await gateway!.DisposeAsync();
        gateway = null;
        await Expect(widget.Notice).ToHaveTextAsync("Chat unavailable, retrying…");
        Assert.Contains(Frames(), f => f.Contains("\"type\":\"reconnect\""));

        await AgentSaysMeanwhile(widget, console);
    }

    [Fact]
    public async Task After_the_gateway_dies_without_draining_the_widget_reconnects_and_shows_messages_sent_meanwhile_none_twice()
    {
        var (widget, console) = await StartChat("Crashing Carl");

        // No drain: the server is disposed with its sockets open, as when the process is killed.
        var dying = gateway!;
        gateway = null;
        await dying.DisposeAsync();
        await Expect(widget.Notice).ToHaveTextAsync("Chat unavailable, retrying…", new() { Timeout = 60_000 });
        Assert.DoesNotContain(Frames(), f => f.Contains("\"type\":\"reconnect\""));

        await AgentSaysMeanwhile(widget, console);
    }

    private async Task<(Widget, AgentConsole)> StartChat(string visitorName)
    {
        var visitorContext = await fixture.NewContext();
        var agentContext = await fixture.NewContext();
        contexts.AddRange([visitorContext, agentContext]);
        var widget = new Widget(await visitorContext.NewPageAsync());
        widget.Page.WebSocket += (_, socket) => socket.FrameReceived += (_, frame) => { lock (widgetFrames) widgetFrames.Add(frame.Text ?? ""); };
        var console = new AgentConsole(await agentContext.NewPageAsync());
        await console.Page.GotoAsync(new Uri(Address(agentGateway!), "agent/").ToString());
        await console.Page.FillAsync("input[name=tenantId]", TenantId);
        await console.Page.FillAsync("input[name=email]", OwnerEmail);
        await console.Page.FillAsync("input[name=password]", OwnerPassword);
        await console.Page.ClickAsync("#login-form button[type=submit]");
        await Expect(console.Page.Locator("#connection")).ToHaveTextAsync("Connected");

        await widget.Page.GotoAsync($"http://127.0.0.1:{widgetPort}/?siteKey={Uri.EscapeDataString(siteKey)}");
        await widget.Open();
        await widget.Name.FillAsync(visitorName);
        await widget.Say("hello before the restart");
        await Expect(widget.Mine.Last).ToHaveAttributeAsync("data-state", "sent");
        await console.Conversation(visitorName).Locator("button").ClickAsync();
        await console.Say("agent before the restart");
        await Expect(widget.MessageTexts).ToHaveTextAsync(["hello before the restart", "agent before the restart"]);
        return (widget, console);
    }

    private async Task AgentSaysMeanwhile(Widget widget, AgentConsole console)
    {
        string[] before = ["hello before the restart", "agent before the restart"];
        string[] meanwhile = ["sent meanwhile 1", "sent meanwhile 2", "sent meanwhile 3"];
        foreach (var text in meanwhile)
        {
            await console.Say(text);
            await Expect(console.Mine.Last).ToHaveAttributeAsync("data-state", "sent");
        }
        await widget.Say("visitor while down");
        await Expect(widget.Mine.Last).ToHaveAttributeAsync("data-state", "sending");
        await Expect(widget.Messages).ToHaveCountAsync(3);

        gateway = await StartGateway(widgetPort);

        // Every message once, in the cluster's order: the agent's three were stored while the widget was
        // away, so the visitor's pending message (sent on reconnect) comes after them.
        string[] all = [.. before, .. meanwhile, "visitor while down"];
        await Expect(widget.Mine.Last).ToHaveAttributeAsync("data-state", Delivered, new() { Timeout = (float)Reconnect.TotalMilliseconds });
        await Expect(widget.Notice).ToBeHiddenAsync();
        await Expect(widget.MessageTexts).ToHaveTextAsync(all);
        await Expect(console.MessageTexts).ToHaveTextAsync(all);
        await Task.Delay(1500); // a duplicate would arrive by now
        var shown = await widget.MessageTexts.AllTextContentsAsync();
        var agentSees = await console.MessageTexts.AllTextContentsAsync();
        output.WriteLine("widget: " + string.Join(" | ", shown));
        output.WriteLine("console: " + string.Join(" | ", agentSees));
        Assert.Equal(all, shown);
        Assert.Equal(all, agentSees);
        Assert.Empty(widget.Errors);
    }

    private string[] Frames()
    {
        lock (widgetFrames) return [.. widgetFrames];
    }

    private async Task<WebApplication> StartGateway(int port)
    {
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["ChatCluster:Gateway:Mode"] = "Client",
            ["ChatCluster:Gateway:OperatorKey"] = OperatorKey,
            ["ChatCluster:Abuse:NewVisitorsPerMinutePerAddress"] = "100000",
            ["ChatCluster:Abuse:ConversationsPerMinutePerAddress"] = "100000",
            ["ChatCluster:Abuse:ConversationsPerHourPerVisitor"] = "100000",
            ["ChatCluster:Abuse:NewVisitorsPerMinutePerTenant"] = "1000000",
            ["ChatCluster:Auth:SigningKey"] = signingKey,
            ["ChatCluster:Silo:GatewayPort"] = siloGatewayPort.ToString(),
            ["ChatCluster:Silo:ClusterId"] = clusterId,
            ["ChatCluster:Silo:ServiceId"] = clusterId,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var webRoot = Path.Combine(BrowserFixture.RepoRoot, "client-gateway", "wwwroot");
        var app = GatewayApp.Build(["--webroot", webRoot], b => b.Configuration.AddInMemoryCollection(settings));
        await app.StartAsync();
        return app;
    }

    private static Uri Address(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.EndsWith('/') ? address : address + "/");
    }
}
