using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatCluster.Browser.Tests;

/// <summary>A2: an agent asks for a conversation's sentiment and summary; nothing is analysed until AI is on.</summary>
[Collection(BrowserCollection.Name)]
public sealed class InsightsTests(BrowserFixture fixture)
{
    [Fact]
    public async Task An_agent_gets_sentiment_and_a_summary_on_demand_only_once_the_team_turned_AI_on()
    {
        await using var visitorContext = await fixture.NewContext();
        await using var agentContext = await fixture.NewContext();
        var widget = new Widget(await visitorContext.NewPageAsync());
        var agent = new AgentConsole(await agentContext.NewPageAsync());
        await fixture.LogInAgent(agent.Page);

        await widget.Page.GotoAsync(fixture.GatewayUri.ToString());
        await widget.Open();
        await widget.Name.FillAsync("Ina Sight");
        await widget.Say("This is terrible, my parcel is broken and I am very unhappy.");
        await agent.Conversation("Ina Sight").Locator("button").ClickAsync();
        await Expect(agent.MessageTexts).ToHaveTextAsync(["This is terrible, my parcel is broken and I am very unhappy."]);

        await agent.Page.ClickAsync("#insights-load");
        await Expect(agent.Page.Locator("#insights")).ToContainTextAsync("off"); // disabled by default

        await SetAi(enabled: true);
        try
        {
            await agent.Page.ClickAsync("#insights-load");
            await Expect(agent.Page.Locator("#insights dl")).ToContainTextAsync("negative");
            await Expect(agent.Page.Locator("#insights dl")).ToContainTextAsync("Summary");
        }
        finally
        {
            await SetAi(enabled: false);
        }
    }

    private async Task SetAi(bool enabled)
    {
        using var http = new HttpClient { BaseAddress = fixture.GatewayUri };
        var login = await http.PostAsJsonAsync("api/auth/login", new { tenantId = "demo", email = BrowserFixture.DemoEmail, password = BrowserFixture.DemoPassword });
        var token = (await login.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        (await http.PutAsJsonAsync("api/settings/ai", new { enabled, modelTrainingOptOut = true })).EnsureSuccessStatusCode();
    }
}
