using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Tests;

/// <summary>
/// A real HTTP server on loopback that speaks OpenAI's <c>/v1/chat/completions</c> and records every request it
/// receives (headers and body), so a test can prove what did — and did not — leave the gateway.
/// </summary>
public sealed partial class FakeAiProvider : IAsyncDisposable
{
    public enum Behaviour
    {
        Answer,
        Fail,
        Hang,
    }

    private readonly WebApplication app;
    private readonly List<RecordedRequest> requests = [];

    public FakeAiProvider()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapPost("/v1/chat/completions", Complete);
        app.StartAsync().GetAwaiter().GetResult();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Endpoint = new Uri(address.TrimEnd('/') + "/v1");
    }

    public Uri Endpoint { get; }

    public Behaviour Mode { get; set; } = Behaviour.Answer;

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (requests) return [.. requests];
        }
    }

    private async Task Complete(HttpContext http)
    {
        var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
        var recorded = new RecordedRequest(http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body);
        lock (requests) requests.Add(recorded);
        switch (Mode)
        {
            case Behaviour.Fail:
                http.Response.StatusCode = (int)HttpStatusCode.InternalServerError;
                await http.Response.WriteAsJsonAsync(new { error = new { message = "model overloaded", type = "server_error" } });
                return;
            case Behaviour.Hang:
                try { await Task.Delay(TimeSpan.FromSeconds(60), http.RequestAborted); } catch (OperationCanceledException) { }
                return;
        }
        // Answers in the requested shape, echoing the first name placeholder so re-identification can be seen.
        var name = NamePlaceholder().Match(recorded.Prompt) is { Success: true } m ? m.Value : "The visitor";
        var content = JsonSerializer.Serialize(new { sentiment = "negative", score = -0.6, summary = $"{name} reports a parcel that never arrived." });
        await http.Response.WriteAsJsonAsync(new
        {
            id = "chatcmpl-fake",
            @object = "chat.completion",
            created = 1_700_000_000,
            model = "fake-model",
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 10, completion_tokens = 10, total_tokens = 20 },
        });
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    [GeneratedRegex(@"\[NAME_\d+\]")]
    private static partial Regex NamePlaceholder();

    public sealed record RecordedRequest(IReadOnlyDictionary<string, string> Headers, string Body)
    {
        /// <summary>The text of every message, unescaped, as the model would read it.</summary>
        public string Prompt => string.Join("\n", Strings(JsonNode.Parse(Body)!["messages"]));

        private static IEnumerable<string> Strings(JsonNode? node) => node switch
        {
            JsonObject o => o.SelectMany(p => Strings(p.Value)),
            JsonArray a => a.SelectMany(Strings),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
            _ => [],
        };
    }
}
