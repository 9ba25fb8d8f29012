using System.Text.Json;
using System.Text.Json.Nodes;
using ChatCluster.Conversations;
using ChatCluster.Grains.Conversations;
using ChatCluster.Grains.Visitors;
using ChatCluster.Privacy;

namespace ChatCluster.Grains.Tests;

/// <summary>
/// R5 access and portability: the export holds every personal field the stores hold. The test reads the visitor's and
/// the conversation's stored rows past their grains and looks for each of their values in the export.
/// </summary>
[Collection(RetentionCollection.Name)]
public sealed class ExportCompletenessTests(RetentionCluster cluster)
{
    /// <summary>Stored, but not data about the person: the tenant's retention period, and a one-way hash of the widget's secret.</summary>
    private static readonly HashSet<string> NotExported = ["Period", "TokenHash"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task The_export_contains_every_value_the_visitor_and_conversation_rows_hold()
    {
        var tenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenant);
        var agent = new Participant(ParticipantKind.Agent, "a_exportagent", "Agent Exportia");
        await chat.Conversation.Assign(agent);
        await chat.Conversation.Send(agent, "a-1", "Your parcel left the depot.");
        await chat.Conversation.MarkRead(chat.Me, 2);
        await chat.Conversation.MarkRead(agent, 1);
        await chat.Conversation.Close(chat.Me);
        await chat.Conversation.Rate(chat.Me, 4, "Quick and kind, thank you Exportia");

        var export = JsonSerializer.SerializeToNode(
            await cluster.Grains.GetGrain<IDataProtectionGrain>(tenant).ExportVisitor(chat.VisitorId, "agent:a_admin"), Json)!.ToJsonString();

        var stored = new List<(string Where, string Value)>();
        Leaves("visitor", JsonSerializer.SerializeToNode((await cluster.StoredState<VisitorState>(chat.Visitor, "visitor")).State, Json), stored);
        Leaves("conversation", JsonSerializer.SerializeToNode((await cluster.StoredState<ConversationState>(chat.Conversation, "conversation")).State, Json), stored);
        foreach (var message in await cluster.StoredMessages(tenant, chat.ConversationId))
            Leaves($"message {message.Seq}", JsonSerializer.SerializeToNode(message, Json), stored);

        Assert.Contains(stored, s => s.Value == "Quick and kind, thank you Exportia");
        Assert.Contains(stored, s => s.Value == Chat.Ip);
        var missing = stored.Where(s => !export.Contains(JsonSerializer.Serialize(s.Value, Json)[1..^1], StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "Held but not exported: " + string.Join("; ", missing.Select(m => $"{m.Where} = {m.Value}")));
    }

    /// <summary>Every string, number and true value of a stored row (false, null and empty say nothing about a person).</summary>
    private static void Leaves(string where, JsonNode? node, List<(string, string)> into)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    if (!NotExported.Contains(name, StringComparer.OrdinalIgnoreCase)) Leaves($"{where}.{name}", child, into);
                }
                break;
            case JsonArray array:
                foreach (var child in array) Leaves(where + "[]", child, into);
                break;
            case JsonValue value:
                var text = value.ToJsonString();
                if (text is "false" or "null" or "\"\"" or "0") return;
                into.Add((where, value.TryGetValue<string>(out var s) ? s : text));
                break;
        }
    }
}
