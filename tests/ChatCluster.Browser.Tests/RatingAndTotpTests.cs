using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChatCluster.Conversations;
using ChatCluster.Privacy;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;
using static Microsoft.Playwright.Assertions;

namespace ChatCluster.Browser.Tests;

/// <summary>Issue 5 in a real browser: rating at close in the widget (A1), two-step login in the console (T2).</summary>
[Collection(BrowserCollection.Name)]
public sealed class RatingAndTotpTests(BrowserFixture fixture)
{
    [Fact]
    public async Task A_visitor_rates_the_ended_chat_with_stars_and_a_comment()
    {
        await using var context = await fixture.NewContext();
        var widget = new Widget(await context.NewPageAsync());
        await widget.Page.GotoAsync(fixture.GatewayUri.ToString());
        await widget.Open();
        await widget.Say("Just a quick question");
        await Expect(widget.Mine.Last).ToHaveAttributeAsync("data-state", "sent");
        var conversationId = await widget.LocalStorage($"chatcluster.{fixture.SiteKey}.conversationId");
        var grains = fixture.Services.GetRequiredService<IClusterClient>();
        var agent = new Participant(ParticipantKind.Agent, "a_browsertest1", "Tester");
        await grains.GetGrain<IConversationGrain>(GrainKeys.Scoped("demo", conversationId)).Close(agent);

        await Expect(widget.Ended).ToContainTextAsync("How was this chat?");
        var send = widget.Ended.Locator(".rate-send");
        await send.ClickAsync();
        await Expect(widget.Ended.Locator(".rate-msg")).ToHaveTextAsync("Choose from 1 to 5 stars.");
        var four = widget.Ended.Locator("input[name=score][value='4']");
        await Expect(four).ToHaveAccessibleNameAsync("4 of 5 stars", new() { Timeout = 3000 });
        await four.FocusAsync();
        await widget.Page.Keyboard.PressAsync("Space"); // keyboard operable: the stars are native radios
        await Expect(four).ToBeCheckedAsync();
        await widget.Ended.GetByLabel("Comment (optional)").FillAsync("Fast answer");
        await send.ClickAsync();

        await Expect(widget.Ended.Locator(".rate-msg")).ToHaveTextAsync("Thank you for your feedback.");
        await Expect(widget.Ended.Locator("fieldset")).ToBeHiddenAsync();
        var stats = grains.GetGrain<IDailyStatsGrain>(DayKeys.For("demo", DateTimeOffset.UtcNow));
        var until = DateTime.UtcNow.AddSeconds(10);
        while ((await stats.Get()).Ratings == 0 && DateTime.UtcNow < until) await Task.Delay(100);
        Assert.True((await stats.Get()).Ratings >= 1);
        await widget.Page.ScreenshotAsync(new() { Path = BrowserFixture.Screenshot("widget-rating") });
    }

    [Fact]
    public async Task An_agent_with_totp_logs_in_with_password_then_code()
    {
        var email = "totp-" + Ids.Random(5) + "@demo.local";
        await fixture.AddDemoAgent(email, "totp-password-1", "Tia");
        using var http = new HttpClient { BaseAddress = fixture.GatewayUri };
        var login = await http.PostAsJsonAsync("api/auth/login", new { tenantId = "demo", email, password = "totp-password-1" });
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        using var enrol = new HttpRequestMessage(HttpMethod.Post, "api/me/totp/enrol");
        enrol.Headers.Authorization = new("Bearer", token);
        var secret = (await (await http.SendAsync(enrol)).Content.ReadFromJsonAsync<JsonObject>())!["secret"]!.GetValue<string>();
        var totp = new Totp(Base32Encoding.ToBytes(secret));
        using var confirm = new HttpRequestMessage(HttpMethod.Post, "api/me/totp/confirm") { Content = JsonContent.Create(new { code = totp.ComputeTotp(DateTime.UtcNow) }) };
        confirm.Headers.Authorization = new("Bearer", token);
        (await http.SendAsync(confirm)).EnsureSuccessStatusCode();

        await using var context = await fixture.NewContext();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(fixture.GatewayUri, "agent/").ToString());
        await page.FillAsync("input[name=tenantId]", "demo");
        await page.FillAsync("input[name=email]", email);
        await page.FillAsync("input[name=password]", "totp-password-1");
        await page.ClickAsync("#login-form button[type=submit]");

        var code = page.GetByLabel("Authenticator code");
        await Expect(code).ToBeFocusedAsync();
        await Expect(page.Locator("#login-error")).ToContainTextAsync("authenticator");
        await code.FillAsync("000000");
        await page.ClickAsync("#login-form button[type=submit]");
        await Expect(page.Locator("#login-error")).ToContainTextAsync("wrong or expired");

        await code.FillAsync(totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30))); // the next step: the confirmation used this one
        await page.ClickAsync("#login-form button[type=submit]");
        await Expect(page.Locator("#connection")).ToHaveTextAsync("Connected");
        await Expect(page.Locator("#me")).ToHaveTextAsync("Tia");
    }
}
