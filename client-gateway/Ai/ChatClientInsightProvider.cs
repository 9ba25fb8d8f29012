using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace ChatCluster.Gateway.Ai;

/// <summary>
/// AI features through any Microsoft.Extensions.AI <see cref="IChatClient"/> (an OpenAI-compatible endpoint, a local
/// model server). It only ever receives pseudonymised transcripts or statistics; the prompt tells the model to keep
/// placeholders verbatim so they can be re-identified locally.
/// </summary>
public sealed class ChatClientInsightProvider(IChatClient client, string name, string? model, bool remote) : IInsightProvider
{
    public const string SystemPrompt =
        "You assist support agents. You receive a support chat in which personal data was replaced by placeholders such as " +
        "[NAME_1] or [EMAIL_2]; keep placeholders exactly as written and never guess what they stand for. Answer with one JSON " +
        "object only: {\"sentiment\":\"positive|neutral|negative\",\"score\":<number from -1 to 1>,\"summary\":\"<at most three sentences>\"}.";

    public const string DigestPrompt =
        "You write a short weekly digest (at most five sentences) for the managers of a customer-support team, from the " +
        "statistics given. Mention notable changes. Plain text, no markdown.";

    public string Name => name;

    public string? Model => model;

    public bool IsRemote => remote;

    public async Task<ConversationAnalysis> AnalyzeConversation(IReadOnlyList<TranscriptLine> lines, AiCallContext context, CancellationToken cancellationToken)
    {
        var transcript = new StringBuilder();
        foreach (var line in lines) transcript.Append(line.Speaker).Append(": ").Append(line.Text).Append('\n');
        var response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, transcript.ToString())],
            Options(context), cancellationToken);
        return Parse(response.Text);
    }

    public async Task<string> WriteDigest(string facts, AiCallContext context, CancellationToken cancellationToken)
    {
        var response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, DigestPrompt), new ChatMessage(ChatRole.User, facts)], Options(context), cancellationToken);
        var text = response.Text.Trim();
        return text.Length == 0 ? throw new InvalidAiAnswerException("The provider answered with no text.") : text;
    }

    private ChatOptions Options(AiCallContext context) => new()
    {
        ModelId = model,
        Temperature = 0.2f,
        MaxOutputTokens = 400,
        // "store": false on every request, opted out or not: the provider keeps no copy for evals or distillation.
        RawRepresentationFactory = _ => new OpenAI.Chat.ChatCompletionOptions { StoredOutputEnabled = false },
    };

    /// <summary>The JSON object of the answer, tolerating prose or code fences around it.</summary>
    public static ConversationAnalysis Parse(string text)
    {
        var start = text.IndexOf('{');
        var end = text.LastIndexOf('}');
        if (start < 0 || end <= start) throw new InvalidAiAnswerException("The provider's answer holds no JSON object.");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(text[start..(end + 1)])?.AsObject() ?? throw new InvalidAiAnswerException("The provider's answer is empty.");
        }
        catch (JsonException)
        {
            throw new InvalidAiAnswerException("The provider's answer is not valid JSON.");
        }
        var sentiment = (json["sentiment"]?.GetValueKind() == JsonValueKind.String ? json["sentiment"]!.GetValue<string>() : "").ToLowerInvariant();
        if (sentiment is not ("positive" or "neutral" or "negative")) sentiment = "neutral";
        var score = json["score"]?.GetValueKind() == JsonValueKind.Number ? Math.Clamp(json["score"]!.GetValue<double>(), -1, 1) : 0;
        var summary = json["summary"]?.GetValueKind() == JsonValueKind.String ? json["summary"]!.GetValue<string>() : "";
        return new ConversationAnalysis(sentiment, Math.Round(score, 2), summary.Length > 1000 ? summary[..1000] + "…" : summary);
    }
}
