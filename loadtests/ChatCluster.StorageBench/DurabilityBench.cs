using System.Diagnostics;
using ChatCluster.Conversations;
using ChatCluster.Silo.Hosting.Database;
using ChatCluster.Silo.Hosting.Encryption;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization;

namespace ChatCluster.StorageBench;

/// <summary>
/// The two ways a conversation grain could make a message durable before acknowledging it, written one
/// message at a time by one writer (as one grain does):
/// <list type="bullet">
/// <item><b>log</b>: <see cref="PostgresConversationLog.Append"/>, the production code: one INSERT into <c>conversation_messages</c>;</item>
/// <item><b>blob</b>: the whole transcript so far, serialized with the Orleans serializer (as grain state is) and written
/// through the AdoNet storage provider's own <c>WriteToStorageKey</c> query from <c>orleansquery</c> (an UPDATE of
/// <c>orleans_storage.payload</c> guarded by the ETag).</item>
/// </list>
/// </summary>
public sealed class DurabilityBench(string connectionString)
{
    private const int MessagesPerSize = 2000;
    private static readonly Participant Visitor = new(ParticipantKind.Visitor, "v_benchvisitor01", "Visitor");
    private static readonly Participant Agent = new(ParticipantKind.Agent, "a_benchagent0001", "Agent");

    private readonly Serializer serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    /// <summary>Enough conversations of <paramref name="size"/> messages to write about 2,000 messages each way (at least two).</summary>
    public async Task<DurabilityResult> Run(int size)
    {
        var conversations = Math.Max(2, MessagesPerSize / size);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var log = new PostgresConversationLog(dataSource, PersonalDataCipher.Ephemeral()); // the real path: sealed with AES-256-GCM (S1)
        var writeQuery = await WriteQuery(dataSource);

        // Warm the pool and the plans so the first conversation does not pay for them.
        await WriteLog(log, $"warmup-{size}", 5, new List<double>());
        await WriteBlob(dataSource, writeQuery, $"warmup-{size}", 5, new List<double>(), new long[1]);

        var logTimes = new List<double>();
        var blobTimes = new List<double>();
        var blobBytes = new long[1];
        for (var c = 0; c < conversations; c++)
        {
            await WriteLog(log, $"s{size}-c{c}", size, logTimes);
            await WriteBlob(dataSource, writeQuery, $"s{size}-c{c}", size, blobTimes, blobBytes);
        }
        var logBytes = Messages(size).Sum(m => 2 * m.Text.Length + m.ClientMessageId.Length + m.Sender.Id.Length + 40) / (double)size;
        return new DurabilityResult(size, conversations,
            Stats.Of(logTimes, size), Stats.Of(blobTimes, size), logBytes, blobBytes[0] / (double)blobTimes.Count);
    }

    private static async Task WriteLog(PostgresConversationLog log, string conversation, int size, List<double> times)
    {
        var key = $"bench/{conversation}";
        foreach (var message in Messages(size))
        {
            var started = Stopwatch.GetTimestamp();
            await log.Append(key, message);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task WriteBlob(NpgsqlDataSource dataSource, string writeQuery, string conversation, int size, List<double> times, long[] bytes)
    {
        var transcript = new List<ChatMessage>();
        int? version = null;
        var idHash = conversation.GetHashCode(StringComparison.Ordinal);
        foreach (var message in Messages(size))
        {
            var started = Stopwatch.GetTimestamp();
            transcript.Add(message);
            var payload = serializer.SerializeToArray(transcript);
            await using var command = dataSource.CreateCommand(writeQuery);
            command.Parameters.AddWithValue("ServiceId", "bench");
            command.Parameters.AddWithValue("GrainTypeHash", 0x0BE7C4);
            command.Parameters.AddWithValue("GrainTypeString", "conversation");
            command.Parameters.AddWithValue("GrainIdHash", idHash);
            command.Parameters.AddWithValue("GrainIdN0", 0L);
            command.Parameters.AddWithValue("GrainIdN1", 0L);
            command.Parameters.AddWithValue("GrainIdExtensionString", "bench/" + conversation);
            command.Parameters.AddWithValue("GrainStateVersion", version is null ? DBNull.Value : version.Value);
            command.Parameters.AddWithValue("PayloadBinary", payload);
            version = (int)(await command.ExecuteScalarAsync() ?? throw new InvalidOperationException("The storage write reported a version conflict."));
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            bytes[0] += payload.Length;
        }
    }

    private static async Task<string> WriteQuery(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT querytext FROM orleansquery WHERE querykey = 'WriteToStorageKey'");
        return (string)(await command.ExecuteScalarAsync() ?? throw new InvalidOperationException("WriteToStorageKey is missing: is the database migrated?"));
    }

    /// <summary>A plausible chat: alternating visitor and agent lines of about 80 characters.</summary>
    private static IEnumerable<ChatMessage> Messages(int size)
    {
        var start = DateTimeOffset.UtcNow;
        for (var seq = 1; seq <= size; seq++)
        {
            var text = $"Message {seq}: could you tell me whether the order I placed yesterday has shipped yet?";
            yield return new ChatMessage(seq, $"cm-{seq:D6}", seq % 2 == 1 ? Visitor : Agent, text, start.AddSeconds(seq));
        }
    }
}
