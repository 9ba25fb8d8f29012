using System.Collections.Concurrent;
using System.Net;
using System.Threading.RateLimiting;
using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Gateway.Auth;

/// <summary>
/// Slows down password guessing (S2 floods, T2). Two limits, both checked before the costly bcrypt verification:
/// each client address gets <see cref="AuthOptions.LoginAttemptsPerMinute"/> attempts (a token bucket), and each
/// account (tenant and email, known or not, so the answer reveals nothing) is locked for
/// <see cref="AuthOptions.LoginLockout"/> after <see cref="AuthOptions.LoginFailuresBeforeLockout"/> failures.
/// </summary>
/// <remarks>
/// The counts live in this gateway's memory: with several gateways behind a balancer an attacker gets the
/// allowance once per gateway, still a few guesses a minute against bcrypt cost 12. A lockout can be used to keep an
/// agent out for its duration; the duration is short for that reason.
/// </remarks>
public sealed class LoginThrottle : IDisposable
{
    /// <summary>Accounts tracked at most; beyond it, entries whose lockout window is over are dropped first.</summary>
    public const int MaxTrackedAccounts = 100_000;

    private readonly AuthOptions options;
    private readonly TimeProvider time;
    private readonly PartitionedRateLimiter<string> perAddress;
    private readonly ConcurrentDictionary<string, Failures> accounts = new(StringComparer.Ordinal);

    public LoginThrottle(AuthOptions options, TimeProvider time)
    {
        this.options = options;
        this.time = time;
        perAddress = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.LoginAttemptsPerMinute,
                TokensPerPeriod = options.LoginAttemptsPerMinute,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Null when the attempt may go ahead; otherwise how long the caller should wait and why.</summary>
    public (TimeSpan RetryAfter, string Reason)? Check(IPAddress? address, string tenantId, string email)
    {
        using (var lease = perAddress.AttemptAcquire(address?.ToString() ?? "unknown"))
        {
            if (!lease.IsAcquired)
            {
                var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : TimeSpan.FromMinutes(1);
                return (wait, "Too many login attempts from your address");
            }
        }
        if (Key(tenantId, email) is { } key && accounts.TryGetValue(key, out var failures) && failures.LockedFor(time.GetUtcNow(), options) is { } locked)
            return (locked, "Too many failed logins for this account");
        return null;
    }

    public void Failed(string tenantId, string email)
    {
        if (Key(tenantId, email) is not { } key) return;
        var now = time.GetUtcNow();
        if (accounts.Count >= MaxTrackedAccounts) Prune(now);
        accounts.AddOrUpdate(key, _ => new Failures(1, now),
            (_, before) => now - before.Last > options.LoginLockout ? new Failures(1, now) : new Failures(before.Count + 1, now));
    }

    public void Succeeded(string tenantId, string email)
    {
        if (Key(tenantId, email) is { } key) accounts.TryRemove(key, out _);
    }

    /// <summary>Accounts with failures on record now; for tests and diagnostics.</summary>
    public int TrackedAccounts => accounts.Count;

    public void Dispose() => perAddress.Dispose();

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, failures) in accounts)
        {
            if (now - failures.Last > options.LoginLockout) accounts.TryRemove(key, out _);
        }
    }

    /// <summary>
    /// Only names that could be an account are tracked (a tenant id, an address of at most 254 characters): a
    /// megabyte of "email" costs its sender a failed login and the address budget, not this table's memory.
    /// </summary>
    private static string? Key(string tenantId, string email) =>
        Ids.IsTenantId(tenantId) && email.Length <= MaxEmailLength ? tenantId + "\n" + email.Trim().ToLowerInvariant() : null;

    private const int MaxEmailLength = 254;

    private sealed record Failures(int Count, DateTimeOffset Last)
    {
        public TimeSpan? LockedFor(DateTimeOffset now, AuthOptions options)
        {
            var left = Last + options.LoginLockout - now;
            return Count >= options.LoginFailuresBeforeLockout && left > TimeSpan.Zero ? left : null;
        }
    }
}
