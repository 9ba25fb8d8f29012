namespace ChatCluster.Grains.Integrations;

/// <summary>Posts one delivery (silo hosting: an HttpClient that refuses private targets at connect time).</summary>
public interface IWebhookSender
{
    /// <returns>The status code, or null with an error when no answer came (refused, timed out, blocked target).</returns>
    Task<WebhookSendResult> Send(Uri url, byte[] body, IReadOnlyDictionary<string, string> headers, TimeSpan timeout);
}

public sealed record WebhookSendResult(int? StatusCode, string? Error)
{
    public bool Accepted => StatusCode is >= 200 and < 300;
}
