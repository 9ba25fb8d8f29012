using System.Collections.Concurrent;
using ChatCluster.Conversations;

namespace ChatCluster.Grains.Conversations;

/// <summary>The embedded default's message log: process memory, gone when the process ends.</summary>
public sealed class InMemoryConversationLog : IConversationLog
{
    private readonly ConcurrentDictionary<string, List<ChatMessage>> logs = new();

    public Task Append(string conversationKey, ChatMessage message)
    {
        var log = logs.GetOrAdd(conversationKey, _ => []);
        lock (log)
        {
            if (log.Count > 0 && log[^1].Seq >= message.Seq)
                throw new InvalidOperationException($"Sequence {message.Seq} already exists in {conversationKey}.");
            log.Add(message);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ChatMessage>> ReadAll(string conversationKey)
    {
        if (!logs.TryGetValue(conversationKey, out var log)) return Task.FromResult<IReadOnlyList<ChatMessage>>([]);
        lock (log) return Task.FromResult<IReadOnlyList<ChatMessage>>([.. log]);
    }

    public Task Delete(string conversationKey)
    {
        logs.TryRemove(conversationKey, out _);
        return Task.CompletedTask;
    }
}
