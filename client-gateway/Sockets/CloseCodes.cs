namespace ChatCluster.Gateway.Sockets;

/// <summary>WebSocket close codes the gateway uses (docs/protocol.md, "Closing").</summary>
public static class CloseCodes
{
    /// <summary>Standard: the server is restarting or draining; reconnect (with backoff) and resume.</summary>
    public const int ServiceRestart = 1012;

    /// <summary>Standard: a frame was far beyond the size limit.</summary>
    public const int MessageTooBig = 1009;

    /// <summary>Standard: the server failed unexpectedly (logged); reconnect and resume.</summary>
    public const int InternalError = 1011;

    /// <summary>No hello within the hello timeout.</summary>
    public const int HelloTimeout = 4001;

    /// <summary>Site key unknown, origin not allowed, or too many failed hellos: do not retry unchanged.</summary>
    public const int Forbidden = 4003;

    /// <summary>Nothing received for the idle timeout.</summary>
    public const int IdleTimeout = 4008;

    /// <summary>The client did not read its frames fast enough; reconnect and resume.</summary>
    public const int SlowReader = 4009;

    /// <summary>The client kept flooding after being told to slow down.</summary>
    public const int Flood = 4029;
}
