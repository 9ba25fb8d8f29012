using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChatCluster.Integrations;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatCluster.Browser.Tests;

/// <summary>I2 and I4 in the console: an admin manages webhook endpoints and API keys; a plain agent never sees them.</summary>
[Collection(BrowserCollection.Name)]
public sealed class IntegrationsSettingsTests(BrowserFixture fixture)
{
    [Fact]
    public async Task An_admin_registers_a_webhook_in_the_console_and_sees_its_signed_delivery_in_the_log()
    {
        await using var receiver = await HookReceiver.Start();
        await using var context = await fixture.NewContext();
        var page = await context.NewPageAsync();
        await fixture.LogInAgent(page);
        await OpenSettings(page);

        // No event chosen: the API's problem details are shown in words.
        await page.FillAsync("#webhook-form input[name=url]", receiver.Url.ToString());
        await page.ClickAsync("#webhook-form button[type=submit]");
        await Expect(page.Locator("#webhook-error")).ToContainTextAsync("events (a list) is required");

        await page.CheckAsync("#webhook-form input[name=events][value='conversation.started']");
        await page.ClickAsync("#webhook-form button[type=submit]");
        var secret = page.Locator("#webhook-created .secret");
        await Expect(secret).ToContainTextAsync("whsec_");
        await Expect(page.Locator("#webhook-error")).ToBeEmptyAsync();
        var endpoint = page.Locator("#webhooks li", new() { HasText = receiver.Url.ToString() });
        await Expect(endpoint.Locator(".state")).ToHaveTextAsync("Enabled");
        await Expect(endpoint.Locator(".meta")).ToContainTextAsync("Conversation started");

        // A visitor starts a conversation: the event reaches the receiver, signed with the secret the console showed once.
        var delivery = await StartConversationAndWait(receiver, "Hook Hana");
        Assert.True(WebhookSignature.Verify((await secret.TextContentAsync())!, delivery.Signature, delivery.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)),
            "The delivery is not signed with the secret the console showed.");

        await endpoint.GetByRole(AriaRole.Button, new() { Name = "Deliveries", Exact = true }).ClickAsync();
        var row = endpoint.Locator($"tr[data-delivery-id='{delivery.DeliveryId}']");
        await Expect(row.Locator(".status-code")).ToHaveTextAsync("200", new() { Timeout = 10_000 });
        await Expect(row.Locator(".outcome")).ToHaveTextAsync("delivered");
        await Expect(row).ToContainTextAsync("conversation.started");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.Screenshot("integrations-webhook-log"), FullPage = true });

        // Disabled by the admin it says so and why; enabled again it is back; deleted (asked twice) it is gone.
        await endpoint.GetByRole(AriaRole.Button, new() { Name = "Disable", Exact = true }).ClickAsync();
        await Expect(endpoint.Locator(".state")).ToHaveTextAsync("Disabled");
        await Expect(endpoint.Locator(".reason")).ToContainTextAsync("Disabled by an admin.");
        await endpoint.GetByRole(AriaRole.Button, new() { Name = "Enable", Exact = true }).ClickAsync();
        await Expect(endpoint.Locator(".state")).ToHaveTextAsync("Enabled");
        await Expect(endpoint.Locator(".reason")).ToHaveCountAsync(0);
        await DeleteEndpoint(endpoint);
    }

    [Fact]
    public async Task An_endpoint_that_keeps_failing_is_shown_disabled_with_the_reason_and_each_failed_status()
    {
        await using var receiver = await HookReceiver.Start();
        receiver.Status = 500;
        await using var context = await fixture.NewContext();
        var page = await context.NewPageAsync();
        await fixture.LogInAgent(page);
        await OpenSettings(page);
        await page.FillAsync("#webhook-form input[name=url]", receiver.Url.ToString());
        await page.CheckAsync("#webhook-form input[name=events][value='conversation.started']");
        await page.FillAsync("#webhook-form input[name=secret]", "a-secret-of-our-own-choice");
        await page.ClickAsync("#webhook-form button[type=submit]");
        await Expect(page.Locator("#webhook-created .secret")).ToHaveTextAsync("a-secret-of-our-own-choice");
        var endpoint = page.Locator("#webhooks li", new() { HasText = receiver.Url.ToString() });
        await endpoint.GetByRole(AriaRole.Button, new() { Name = "Deliveries", Exact = true }).ClickAsync();

        await StartConversationAndWait(receiver, "Failing Fay");

        // The fixture disables an endpoint after 3 failures in a row, retrying after 0.2 s: the open page follows it.
        await Expect(endpoint.Locator(".state")).ToHaveTextAsync("Disabled", new() { Timeout = 15_000 });
        await Expect(endpoint.Locator(".reason")).ToContainTextAsync("3 failed deliveries in a row");
        await Expect(endpoint.Locator(".reason")).ToContainTextAsync("500");
        await Expect(endpoint.Locator("tr[data-outcome=failed] .status-code").First).ToHaveTextAsync("500", new() { Timeout = 10_000 });
        await DeleteEndpoint(endpoint);
    }

    [Fact]
    public async Task An_admin_creates_a_scoped_api_key_shown_once_and_revoking_it_locks_it_out_of_the_api()
    {
        await using var context = await fixture.NewContext();
        var page = await context.NewPageAsync();
        await fixture.LogInAgent(page);
        await OpenSettings(page);

        await page.FillAsync("#apikey-form input[name=name]", "Browser CRM");
        await page.ClickAsync("#apikey-form button[type=submit]");
        await Expect(page.Locator("#apikey-error")).ToContainTextAsync("scopes (a list) is required");

        await page.CheckAsync("#apikey-form input[name=scopes][value='conversations:read']");
        await page.ClickAsync("#apikey-form button[type=submit]");
        var shown = page.Locator("#apikey-created .secret");
        await Expect(shown).ToContainTextAsync("ck_demo.");
        var key = (await shown.TextContentAsync())!;
        var listed = page.Locator("#apikeys li", new() { HasText = "Browser CRM" });
        await Expect(listed.Locator(".state")).ToHaveTextAsync("Active");
        await Expect(listed.Locator(".meta")).ToContainTextAsync("conversations:read");
        await Expect(page.Locator("#apikeys")).Not.ToContainTextAsync(key);

        using var http = new HttpClient { BaseAddress = fixture.GatewayUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/v1/conversations")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("api/v1/reports?from=2026-01-01&to=2026-01-02")).StatusCode);

        await listed.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await listed.GetByRole(AriaRole.Button, new() { Name = "Click again to revoke" }).ClickAsync();
        await Expect(listed.Locator(".state")).ToContainTextAsync("Revoked");
        await Expect(listed.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/v1/conversations")).StatusCode);
    }

    [Fact]
    public async Task A_plain_agent_sees_no_integrations_settings_and_the_api_refuses_them()
    {
        const string email = "cal@demo.local", password = "cal-password-123";
        await fixture.AddDemoAgent(email, password, "Cal");
        await using var context = await fixture.NewContext();
        var page = await context.NewPageAsync();
        await fixture.LogInAgent(page, email, password);
        // The console checks the role when the page loads and every second after: give it that second.
        await page.WaitForTimeoutAsync(1500);
        await Expect(page.Locator("#settings-toggle")).ToBeHiddenAsync();
        await Expect(page.Locator("#settings")).ToBeHiddenAsync();

        using var http = new HttpClient { BaseAddress = fixture.GatewayUri };
        var login = await http.PostAsJsonAsync("api/auth/login", new { tenantId = "demo", email, password });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await login.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("api/settings/webhooks")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("api/settings/api-keys")).StatusCode);
    }

    private static async Task OpenSettings(IPage page)
    {
        var toggle = page.Locator("#settings-toggle");
        await Expect(toggle).ToBeVisibleAsync();
        await toggle.ClickAsync();
        await Expect(page.Locator("#settings")).ToBeVisibleAsync();
        await Expect(page.Locator("#inbox-title")).ToBeHiddenAsync();
    }

    private async Task<HookReceiver.Delivery> StartConversationAndWait(HookReceiver receiver, string visitorName)
    {
        await using var visitorContext = await fixture.NewContext();
        var widget = new Widget(await visitorContext.NewPageAsync());
        await widget.Page.GotoAsync(fixture.GatewayUri.ToString());
        await widget.Open();
        await widget.Name.FillAsync(visitorName);
        await widget.Say("Does the webhook fire?");
        return await receiver.Next(WebhookEventTypes.ConversationStarted);
    }

    private static async Task DeleteEndpoint(ILocator endpoint)
    {
        await endpoint.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await endpoint.GetByRole(AriaRole.Button, new() { Name = "Click again to delete" }).ClickAsync();
        await Expect(endpoint).ToHaveCountAsync(0);
    }
}
