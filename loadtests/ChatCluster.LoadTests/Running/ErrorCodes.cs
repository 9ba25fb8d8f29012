using System.Net.Sockets;
using System.Net.WebSockets;

namespace ChatCluster.LoadTests.Running;

/// <summary>Short, groupable error codes for exceptions a step or copy initialisation threw.</summary>
public static class ErrorCodes
{
    public const string Timeout = "timeout";
    public const string Cancelled = "cancelled";
    public const string NoFreeCopy = "no_free_copy";

    /// <summary>The send did not complete within the step timeout (the client's socket was backed up).</summary>
    public const string NotSent = "not_sent";

    /// <summary>Chat: the sender's <c>ack</c> did not arrive within the step timeout.</summary>
    public const string NoAck = "no_ack";

    /// <summary>Sent (and, in chat, acknowledged), but the other party did not receive it within the step timeout.</summary>
    public const string NoDelivery = "no_delivery";

    public static string From(Exception ex) => ex switch
    {
        AggregateException { InnerException: { } inner } => From(inner),
        Gateway.GatewayErrorException gateway => "gateway:" + gateway.Code,
        WebSocketException ws when ws.InnerException is SocketException se => $"socket:{se.SocketErrorCode}",
        WebSocketException ws when ws.InnerException is HttpRequestException hr => From(hr),
        WebSocketException ws => $"ws:{ws.WebSocketErrorCode}",
        SocketException se => $"socket:{se.SocketErrorCode}",
        HttpRequestException { StatusCode: { } status } => $"http:{(int)status}",
        HttpRequestException { InnerException: SocketException se } => $"socket:{se.SocketErrorCode}",
        HttpRequestException hr => $"http:{hr.HttpRequestError}",
        OperationCanceledException => Cancelled,
        _ => ex.GetType().Name,
    };
}
