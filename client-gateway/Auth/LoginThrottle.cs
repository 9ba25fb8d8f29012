using System.Collections.Concurrent;
using System.Net;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Gateway.Sockets;

namespace ChatCluster.Gateway.Auth;

/// <summary>
/// Slows down password guessing (S2 floods, T2). Two limits, both checked before the costly bcrypt verification:
/// each client address gets <see cref="AuthOptions.LoginAttemptsPerMinute"/> attempts (a token bucket that refills
/// evenly over the minute), and each
/// account (tenant and email, known or not, so the answer reveals nothing) is locked for
/// <see cref="AuthOptions.LoginLockout"/> after <see cref="AuthOptions.LoginFailuresBeforeLockout"/> failures.
/// </summary>
/// <remarks>
/// The counts live in this gateway's memory: with several gateways behind a balancer an attacker gets the
/// allowance once per gateway, still a few guesses a minute against bcrypt cost 12. A lockout can be used to keep an
/// agent out for its duration; the duration is short for that reason. Both limits read the injected clock, so
/// tests drive them with fake time (System.Threading.RateLimiting reads the stopwatch, which a test cannot move).
/// </remarks>
public sealed class LoginThrottle
{
    /// <summary>Accounts (and, separately, client addresses) tracked at most; beyond it, finished entries are dropped first.</summary>
    public const int MaxTrackedAccounts = 100_000;

    private readonly AuthOptions options;
    private readonly TimeProvider time;
    private readonly BoundedTable<TokenBucket> addresses = new(MaxTrackedAccounts);
    private readonly BoundedTable<Failures> accounts = new(MaxTrackedAccounts);

    public LoginThrottle(AuthOptions options, TimeProvider time)
    {
        this.options = options;
        this.time = time;
    }

    /// <summary>Null when the attempt may go ahead; otherwise how long the caller should wait and why.</summary>
    public (TimeSpan RetryAfter, string Reason)? Check(IPAddress? address, string tenantId, string email)
    {
        var now = time.GetUtcNow();
        if (TakeFromBucket(ClientAddress.Key(address), now) is { } wait)
            return (wait, "Too many login attempts from your address");
        if (Key(tenantId, email) is { } key && accounts.Entries.TryGetValue(key, out var failures) && failures.LockedFor(now, options) is { } locked)
            return (locked, "Too many failed logins for this account");
        return null;
    }

    public void Failed(string tenantId, string email)
    {
        if (Key(tenantId, email) is not { } key) return;
        var now = time.GetUtcNow();
        accounts.MakeRoom(now, f => now - f.Last > options.LoginLockout);
        accounts.Entries.AddOrUpdate(key, _ => new Failures(1, now),
            (_, before) => now - before.Last > options.LoginLockout ? new Failures(1, now) : new Failures(before.Count + 1, now));
    }

    public void Succeeded(string tenantId, string email)
    {
        if (Key(tenantId, email) is { } key) accounts.Entries.TryRemove(key, out _);
    }

    /// <summary>Accounts with failures on record now; for tests and diagnostics.</summary>
    public int TrackedAccounts => accounts.Entries.Count;

    /// <summary>Client addresses whose allowance is partly spent; for tests and diagnostics.</summary>
    public int TrackedAddresses => addresses.Entries.Count;

    /// <summary>Takes one attempt from the address's allowance; null when there was one, else the wait until there is.</summary>
    private TimeSpan? TakeFromBucket(string address, DateTimeOffset now)
    {
        addresses.MakeRoom(now, bucket => { lock (bucket) return bucket.IsFull; });
        var limit = options.LoginAttemptsPerMinute;
        var bucket = addresses.Entries.GetOrAdd(address, _ => new TokenBucket(limit / 60.0, limit, time));
        lock (bucket)
        {
            if (bucket.TryTake(out var wait)) return null;
            return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
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
