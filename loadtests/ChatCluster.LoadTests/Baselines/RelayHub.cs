using Microsoft.AspNetCore.SignalR;

namespace ChatCluster.LoadTests.Baselines;

/// <summary>
/// Baseline (b): what a .NET team would write instead: a SignalR hub (default JSON protocol, WebSockets)
/// relaying within a group, one group per pair.
/// </summary>
public sealed class RelayHub : Hub
{
    public const string Path = "/relay-hub";
    public const string JoinMethod = nameof(Join);
    public const string RelayMethod = nameof(Relay);
    public const string ReceiveMethod = "relayed";

    public Task Join(string pair) => Groups.AddToGroupAsync(Context.ConnectionId, pair);

    public Task Relay(string pair, byte[] payload) => Clients.OthersInGroup(pair).SendAsync(ReceiveMethod, payload);
}
