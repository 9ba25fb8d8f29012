using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ChatCluster.LoadTests.Baselines;

public enum BaselineKind { Relay, SignalR }

/// <summary>A baseline server on a loopback port, in this process (tests) or as the `baseline` command's body.</summary>
public sealed class BaselineServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BaselineServer(WebApplication app, BaselineKind kind, Uri baseUrl)
    {
        _app = app;
        Kind = kind;
        BaseUrl = baseUrl;
    }

    public BaselineKind Kind { get; }
    public Uri BaseUrl { get; }

    /// <summary>The URL the relay scenario targets for this kind.</summary>
    public Uri RelayUrl => UrlFor(Kind, BaseUrl);

    public static Uri UrlFor(BaselineKind kind, Uri baseUrl) =>
        kind == BaselineKind.Relay
            ? new Uri(Network.LoopbackConnector.ToWebSocketUri(baseUrl), RelayEndpoint.Path)
            : new Uri(baseUrl, RelayHub.Path);

    public static async Task<BaselineServer> StartAsync(BaselineKind kind, int port = 0, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.AddServerHeader = false;
        });
        if (kind == BaselineKind.SignalR) builder.Services.AddSignalR();
        var relay = new RelayEndpoint();

        var app = builder.Build();
        app.UseWebSockets();
        if (kind == BaselineKind.Relay) app.Map(RelayEndpoint.Path, relay.HandleAsync);
        else app.MapHub<RelayHub>(RelayHub.Path);
        // Process memory for the later "connections" comparison (bytes per open socket).
        app.MapGet("/metrics", () =>
        {
            using var process = Process.GetCurrentProcess();
            return Results.Json(new
            {
                kind = kind.ToString(),
                workingSetBytes = process.WorkingSet64,
                gcHeapBytes = GC.GetTotalMemory(false),
                relaySockets = relay.OpenSockets,
            });
        });
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no address.");
        return new BaselineServer(app, kind, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _app.StopAsync(timeout.Token); }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync();
    }
}
