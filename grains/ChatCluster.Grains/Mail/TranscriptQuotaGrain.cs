using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ChatCluster.Grains.Mail;

/// <summary>
/// The day's transcript allowance of one tenant (issue 15, W5). Keyed by tenant id. A conversation asks once, at its
/// start, before it promises a transcript to an address.
/// </summary>
public interface ITranscriptQuotaGrain : IGrainWithStringKey
{
    /// <summary>Takes one transcript of today's allowance for the visitor and address; false (and nothing taken) when a limit is reached.</summary>
    Task<bool> TryTake(string visitorId, string email);
}

/// <summary>
/// Counts in memory only, per UTC day: the addresses are held as SHA-256 hashes and only until the day ends, so the
/// quota keeps no personal data that erasure or retention would have to find. The counts are lost when the activation
/// is (a silo failure, or a day without transcripts): at worst an address gets a second day's allowance. The tables
/// cannot outgrow the tenant's daily limit, because only an allowed take adds an entry.
/// </summary>
[CollectionAgeLimit(Hours = 25)]
public sealed class TranscriptQuotaGrain(IOptions<TranscriptLimitOptions> options, TimeProvider time) : Grain, ITranscriptQuotaGrain
{
    private readonly TranscriptLimitOptions limits = options.Value;
    private readonly Dictionary<string, int> perAddress = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> perVisitor = new(StringComparer.Ordinal);
    private DateOnly day;
    private int total;

    public Task<bool> TryTake(string visitorId, string email)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        if (today != day)
        {
            day = today;
            total = 0;
            perAddress.Clear();
            perVisitor.Clear();
        }
        var address = Hash(email);
        if (total >= limits.PerTenantPerDay
            || perAddress.GetValueOrDefault(address) >= limits.PerAddressPerDay
            || perVisitor.GetValueOrDefault(visitorId) >= limits.PerVisitorPerDay)
        {
            return Task.FromResult(false);
        }
        total++;
        perAddress[address] = perAddress.GetValueOrDefault(address) + 1;
        perVisitor[visitorId] = perVisitor.GetValueOrDefault(visitorId) + 1;
        return Task.FromResult(true);
    }

    private static string Hash(string email) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(email.Trim().ToLowerInvariant())));
}
