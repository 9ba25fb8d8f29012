using System.Collections.Concurrent;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Sockets;

/// <summary>The sockets open on this gateway: counted for metrics, told to reconnect when the gateway drains.</summary>
public sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, ChatConnection> open = new();

    public int Count => open.Count;

    /// <summary>The open sockets right now (a live view; sockets may come and go while it is read).</summary>
    public IEnumerable<ChatConnection> All
    {
        get
        {
            // Enumerating the dictionary itself takes no lock and copies nothing (Values would do both).
            foreach (var (_, connection) in open) yield return connection;
        }
    }

    public void Add(ChatConnection connection) => open[connection.Id] = connection;

    public void Remove(ChatConnection connection) => open.TryRemove(connection.Id, out _);

    /// <summary>The account was closed (R3): every socket of that tenant gets <c>tenant_closed</c> and is closed.</summary>
    public void CloseTenant(string tenantId)
    {
        foreach (var connection in All)
        {
            if (connection.TenantId == tenantId) connection.CloseForClosedTenant();
        }
    }

    /// <summary>The sockets whose agent said hello, for revoking their sessions (see <c>SessionRevocation</c>).</summary>
    public IEnumerable<ChatConnection> Agents() => All.Where(c => c.Agent is not null);

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
