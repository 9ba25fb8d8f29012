namespace ChatCluster.Grains.Mail;

/// <summary>
/// A mail could not be handed to the mail server. The message says at which step and with which SMTP status, but never
/// holds the address or any text of the mail: mail servers echo the recipient in their replies, and this message is
/// logged (docs/privacy.md §10).
/// </summary>
public sealed class MailDeliveryException(string message, bool transient) : Exception(message)
{
    /// <summary>True when trying again later may succeed (server down or slow, a 4xx reply); false for a refusal (5xx).</summary>
    public bool Transient { get; } = transient;
}
