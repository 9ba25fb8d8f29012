using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace ChatCluster.LoadTests.Gateway;

/// <summary>
/// Frames received per role and frame type (<c>agent:conversation</c>, <c>visitor:message</c>, …), counted on the
/// sockets' receive loops. Read as counts since the previous read, so each step of a staircase gets its own; the
/// report divides them by delivered messages (e.g. inbox <c>conversation</c> frames per chat message, issue 13's ≤ 2).
/// </summary>
public sealed class FrameCounts
{
    private readonly ConcurrentDictionary<(string Role, string Type), StrongBox<long>> _counts = new();

    public void Count(string role, WireFrame frame) =>
        Interlocked.Increment(ref _counts.GetOrAdd((role, frame.Type), static _ => new StrongBox<long>()).Value);

    /// <summary>"frames:role:type" → count since the previous call.</summary>
    public Dictionary<string, long> ReadAndReset()
    {
        var read = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var ((role, type), box) in _counts)
        {
            var count = Interlocked.Exchange(ref box.Value, 0);
            if (count > 0) read[$"{Prefix}{role}:{type}"] = count;
        }
        return read;
    }

    public const string Prefix = "frames:";
}
