using System.Collections.Concurrent;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Sockets;

/// <summary>The sockets open on this gateway: counted for metrics, told to reconnect when the gateway drains.</summary>
public sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, ChatConnection> open = new();

    public int Count => open.Count;

    public void Add(ChatConnection connection) => open[connection.Id] = connection;

    public void Remove(ChatConnection connection) => open.TryRemove(connection.Id, out _);

    /// <summary>The sockets whose agent said hello, for revoking their sessions (see <c>SessionRevocation</c>).</summary>
    public IEnumerable<ChatConnection> Agents() => open.Values.Where(c => c.Agent is not null);

    /// <summary>Every socket re-reads its conversations after the last message it was sent (see <c>ClusterChangeResync</c>).</summary>
    public void ResyncAll()
    {
        foreach (var connection in open.Values) connection.Resync();
    }

    /// <summary>Graceful shutdown: every socket is told to reconnect elsewhere and resume (close 1012).</summary>
    public async Task Drain(TimeSpan grace)
    {
        foreach (var connection in open.Values)
        {
            connection.RequestClose(CloseCodes.ServiceRestart, "gateway restarting",
                new ReconnectFrame { Reason = "The gateway is restarting; reconnect and resume.", AfterMs = Random.Shared.Next(100, 2000) });
        }
        var deadline = DateTime.UtcNow + grace;
        while (!open.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(50);
    }
}
