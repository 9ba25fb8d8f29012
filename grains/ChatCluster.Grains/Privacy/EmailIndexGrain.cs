using ChatCluster.Privacy;
using Orleans.Concurrency;

namespace ChatCluster.Grains.Privacy;

/// <summary>Computes index keys on the silo, which holds the secret key, for callers that must not (gateways).</summary>
[StatelessWorker]
public sealed class EmailIndexGrain(EmailIndexKey key) : Grain, IEmailIndexGrain
{
    public Task<string> Locate(string email)
    {
        if (!EmailAddress.LooksValid(email?.Trim())) throw ChatRuleException.Invalid("email is not an email address.");
        return Task.FromResult(key.Scoped(this.GetPrimaryKeyString(), email!));
    }
}
