using System.Text.Json.Nodes;
using ChatCluster.Gateway.Tests;

namespace ChatCluster.Integration.Tests.ClusterMode;

internal static class Wait
{
    /// <summary>The next frame of <paramref name="type"/> that matches; frames before it are skipped.</summary>
    public static async Task<JsonObject> For(ChatClient client, string type, Func<JsonObject, bool> match, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"No matching '{type}' frame. Seen: {string.Join(" | ", client.Seen.Select(f => f.ToJsonString()))}");
            var frame = await client.Next(type, left);
            if (match(frame)) return frame;
        }
    }

    public static Task<JsonObject> Message(ChatClient client, long seq) =>
        For(client, "message", f => (long?)f["seq"] == seq);

    public static Task<JsonObject> TeamStatus(ChatClient visitor, string status, TimeSpan? within = null) =>
        For(visitor, "presence", f => (string?)f["scope"] == "team" && (string?)f["status"] == status, within);

    public static Task<JsonObject> Subject(ChatClient agent, string scope, string subjectId, string status, TimeSpan? within = null) =>
        For(agent, "presence", f => (string?)f["scope"] == scope && (string?)f["subjectId"] == subjectId && (string?)f["status"] == status, within);

    /// <summary>Polls <paramref name="condition"/> until it holds.</summary>
    public static async Task Until(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(200);
        }
    }
}
