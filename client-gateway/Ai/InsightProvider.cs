namespace ChatCluster.Gateway.Ai;

/// <summary>
/// What the AI features need from a model, whoever runs it: the built-in <see cref="LocalInsightProvider"/> (no network)
/// or any <c>IChatClient</c> through <see cref="ChatClientInsightProvider"/>. Input is already pseudonymised.
/// </summary>
public interface IInsightProvider
{
    /// <summary>Name for the call log: <c>local</c> or <c>openai-compatible</c>.</summary>
    string Name { get; }

    string? Model { get; }

    /// <summary>True when text leaves the process; only then does the privacy rule set apply in full.</summary>
    bool IsRemote { get; }

    Task<ConversationAnalysis> AnalyzeConversation(IReadOnlyList<TranscriptLine> lines, AiCallContext context, CancellationToken cancellationToken);

    /// <summary>A few sentences for admins about a week's numbers (statistics only, no conversation text).</summary>
    Task<string> WriteDigest(string facts, AiCallContext context, CancellationToken cancellationToken);
}

/// <summary>One message of a pseudonymised transcript: who spoke (<c>visitor</c>, <c>agent</c>, <c>system</c>) and the text.</summary>
public sealed record TranscriptLine(string Speaker, string Text);

/// <summary>Per-call choices of the tenant that the provider must honour.</summary>
public sealed record AiCallContext(bool TrainingOptOut);

/// <summary>Sentiment label (<c>positive</c>, <c>neutral</c>, <c>negative</c>), score −1…1, and a short summary.</summary>
public sealed record ConversationAnalysis(string Sentiment, double Score, string Summary);

/// <summary>The provider's answer could not be understood.</summary>
public sealed class InvalidAiAnswerException(string message) : Exception(message);
