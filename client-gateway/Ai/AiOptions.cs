using System.ComponentModel.DataAnnotations;

namespace ChatCluster.Gateway.Ai;

public enum AiProviderKind
{
    /// <summary>Built in, no network: lexicon sentiment and extractive summaries.</summary>
    Local,

    /// <summary>Any endpoint that speaks OpenAI's <c>/v1/chat/completions</c>.</summary>
    OpenAICompatible,
}

/// <summary>Section <c>ChatCluster:Ai</c>: which provider the optional AI features (A2) use. Tenants still opt in one by one.</summary>
public sealed class AiOptions : IValidatableObject
{
    public const string Section = "ChatCluster:Ai";

    public AiProviderKind Provider { get; set; } = AiProviderKind.Local;

    /// <summary>Base address of an OpenAI-compatible API, e.g. <c>https://api.example.com/v1</c>.</summary>
    public Uri? Endpoint { get; set; }

    public string? Model { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>A provider slower than this is abandoned; the caller gets status <c>timeout</c>.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Transcripts longer than this (in characters, after redaction) are cut from the start, keeping the latest messages.</summary>
    [Range(1000, 200_000)]
    public int MaxTranscriptChars { get; set; } = 12_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
            yield return new ValidationResult("Timeout is between 00:00:00.001 and 00:05:00.", [nameof(Timeout)]);
        if (Provider != AiProviderKind.OpenAICompatible) yield break;
        if (Endpoint is null || !Endpoint.IsAbsoluteUri || Endpoint.Scheme is not ("http" or "https"))
            yield return new ValidationResult("Endpoint (an absolute http(s) URL such as https://api.example.com/v1) is required for Provider=OpenAICompatible.", [nameof(Endpoint)]);
        if (string.IsNullOrWhiteSpace(Model))
            yield return new ValidationResult("Model is required for Provider=OpenAICompatible.", [nameof(Model)]);
    }
}
