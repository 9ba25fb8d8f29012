using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Tests;

/// <summary>A real HTTP server on loopback that takes webhook deliveries and answers as the test tells it.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<Received> received = new();

    public sealed record Received(string Signature, string? Event, string? Delivery, byte[] Body, DateTimeOffset At)
    {
        public string Text => System.Text.Encoding.UTF8.GetString(Body);
    }

    /// <summary>Decides each answer: the status code and how long to wait first. Default: 200 at once.</summary>
    public Func<int, (int Status, TimeSpan Delay)> Answer { get; set; } = _ => (200, TimeSpan.Zero);

    public Uri Url { get; private set; } = null!;
    public IReadOnlyList<Received> Deliveries => [.. received];

    private int count;

    private WebhookReceiver()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            var (status, delay) = Answer(Interlocked.Increment(ref count));
            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            received.Enqueue(new Received(http.Request.Headers["ChatCluster-Signature"].ToString(), http.Request.Headers["ChatCluster-Event"],
                http.Request.Headers["ChatCluster-Delivery"], buffer.ToArray(), DateTimeOffset.UtcNow));
            http.Response.StatusCode = status;
        });
    }

    public static async Task<WebhookReceiver> Start()
    {
        var receiver = new WebhookReceiver();
        await receiver.app.StartAsync();
        var address = receiver.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(address.TrimEnd('/') + "/hook");
        return receiver;
    }

    /// <summary>Waits (bounded) until a delivery matching <paramref name="match"/> arrived.</summary>
    public async Task<Received> Next(Func<Received, bool> match, TimeSpan? wait = null)
    {
        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (received.FirstOrDefault(match) is { } found) return found;
            await Task.Delay(25);
        }
        throw new TimeoutException("No matching delivery arrived; got: " + string.Join(" | ", received.Select(r => r.Text)));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
