using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Browser.Tests;

/// <summary>The site's own system as a browser test sees it: an HTTP server on loopback that takes webhook deliveries.</summary>
public sealed class HookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<Delivery> deliveries = new();

    public sealed record Delivery(string Signature, string Event, string DeliveryId, byte[] Body);

    /// <summary>The status code every delivery gets (200 unless a test wants the receiver to fail).</summary>
    public int Status { get; set; } = StatusCodes.Status200OK;

    public Uri Url { get; private set; } = null!;

    public int Count => deliveries.Count;

    private HookReceiver()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapPost("/chat-events", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            deliveries.Enqueue(new Delivery(request.Headers["ChatCluster-Signature"].ToString(), request.Headers["ChatCluster-Event"].ToString(),
                request.Headers["ChatCluster-Delivery"].ToString(), body.ToArray()));
            return Results.StatusCode(Status);
        });
    }

    public static async Task<HookReceiver> Start()
    {
        var receiver = new HookReceiver();
        await receiver.app.StartAsync();
        var address = receiver.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(address.TrimEnd('/') + "/chat-events");
        return receiver;
    }

    /// <summary>The first delivery of <paramref name="eventType"/>, waiting up to 15 s for it.</summary>
    public async Task<Delivery> Next(string eventType)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (deliveries.FirstOrDefault(d => d.Event == eventType) is { } found) return found;
            await Task.Delay(50);
        }
        throw new TimeoutException($"No {eventType} delivery arrived; {deliveries.Count} others did.");
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
