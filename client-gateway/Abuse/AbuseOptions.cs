using System.ComponentModel.DataAnnotations;

namespace ChatCluster.Gateway.Abuse;

/// <summary>
/// Quotas on anonymous visitors (S2, S3; issue 15): what one client address, one visitor and one tenant may create.
/// Rates are per minute, sustained, with a burst of the same size; they live in each gateway's memory, like the login
/// throttle. The open-conversation cap is cluster-wide (it reads the tenant's inbox).
/// </summary>
public sealed class AbuseOptions : IValidatableObject
{
    public const string Section = "ChatCluster:Abuse";

    /// <summary>New visitors (hellos without a visitor token) one client address (IPv6: /64) may open per minute.</summary>
    public int NewVisitorsPerMinutePerAddress { get; set; } = 20;

    /// <summary>Conversations one client address may start per minute.</summary>
    public int ConversationsPerMinutePerAddress { get; set; } = 20;

    /// <summary>Conversations one visitor may start per hour.</summary>
    public int ConversationsPerHourPerVisitor { get; set; } = 10;

    /// <summary>New visitors one tenant may get per minute through this gateway, from all addresses together.</summary>
    public int NewVisitorsPerMinutePerTenant { get; set; } = 600;

    /// <summary>Live (open or assigned) conversations a tenant may have at once; a start beyond it is refused.</summary>
    public int MaxOpenConversationsPerTenant { get; set; } = 2000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, value, most) in new[]
                 {
                     (nameof(NewVisitorsPerMinutePerAddress), NewVisitorsPerMinutePerAddress, 100_000),
                     (nameof(ConversationsPerMinutePerAddress), ConversationsPerMinutePerAddress, 100_000),
                     (nameof(ConversationsPerHourPerVisitor), ConversationsPerHourPerVisitor, 100_000),
                     (nameof(NewVisitorsPerMinutePerTenant), NewVisitorsPerMinutePerTenant, 1_000_000),
                     (nameof(MaxOpenConversationsPerTenant), MaxOpenConversationsPerTenant, 1_000_000),
                 })
        {
            if (value < 1 || value > most) yield return new ValidationResult($"must be between 1 and {most}.", [name]);
        }
    }
}
