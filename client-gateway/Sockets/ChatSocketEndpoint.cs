using System.Net.WebSockets;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Sockets;

/// <summary>The one WebSocket endpoint for widgets and agent consoles: <c>/ws</c>.</summary>
public static class ChatSocketEndpoint
{
    public const string Path = "/ws";

    /// <summary>The socket layer's services: the registry of open sockets, the timeout sweep, what a connection needs.</summary>
    public static IServiceCollection AddChatSockets(this IServiceCollection services)
    {
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<SelfOrigins>();
        services.AddSingleton<ChatServices>();
        services.AddSingleton<ConnectionSweep>();
        services.AddHostedService(sp => sp.GetRequiredService<ConnectionSweep>());
        return services;
    }

    /// <summary>The transport's part of the pipeline; before <c>UseWebSockets</c>.</summary>
    public static IApplicationBuilder UseChatSocketTransport(this IApplicationBuilder app) => app.UseControlFrameGate(Path);

    public static IEndpointRouteBuilder MapChatSocket(this IEndpointRouteBuilder app)
    {
        app.Map(Path, Accept);
        return app;
    }

    private static async Task Accept(HttpContext context, ChatServices services)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Results.Problem(
                title: "WebSocket upgrade required",
                detail: $"Connect with a WebSocket and one of the subprotocols {Subprotocols.Json} or {Subprotocols.MessagePack} (see docs/protocol.md).",
                statusCode: StatusCodes.Status426UpgradeRequired).ExecuteAsync(context);
            return;
        }

        var requested = context.WebSockets.WebSocketRequestedProtocols;
        IFrameCodec? codec = requested.Count == 0 ? JsonFrameCodec.Instance
            : requested.Contains(Subprotocols.MessagePack) ? MessagePackFrameCodec.Instance
            : requested.Contains(Subprotocols.Json) ? JsonFrameCodec.Instance
            : null;
        if (codec is null)
        {
            await Results.Problem(
                title: "Unsupported subprotocol",
                detail: $"Requested {string.Join(", ", requested)}; this gateway speaks {Subprotocols.Json} and {Subprotocols.MessagePack}.",
                statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
            return;
        }

        var options = services.Options;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = requested.Count == 0 ? null : codec.Subprotocol,
            KeepAliveInterval = options.HeartbeatInterval,
            KeepAliveTimeout = options.HeartbeatInterval,
        });
        var info = new ConnectionInfo(
            context.Connection.RemoteIpAddress?.ToString(),
            Truncate(context.Request.Headers.UserAgent.ToString(), 512),
            context.Request.Headers.Origin.Count > 0 ? context.Request.Headers.Origin.ToString() : null,
            services.Countries.Find(context.Connection.RemoteIpAddress));
        await using var connection = new ChatConnection(socket, codec, services, info, context.RequestAborted, context.Features.Get<ControlFrameGate>());
        try
        {
            await connection.Run();
        }
        catch (Exception ex)
        {
            // After the upgrade there is no HTTP response to write: an exception here would only be logged
            // again by every middleware on the way out (S2).
            services.Logger.LogError(ex, "Connection {Connection} ended with an unexpected failure", connection.Id);
        }
    }

    private static string? Truncate(string value, int max) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= max ? value : value[..max];
}
