using System.ComponentModel.DataAnnotations;

namespace ChatCluster.Gateway.Hosting;

/// <summary>How the gateway reaches the grains.</summary>
public enum ClusterMode
{
    /// <summary>Co-host a silo in this process on in-memory providers: the default, nothing to install.</summary>
    Embedded,

    /// <summary>A pure Orleans client of separately running silos (cluster mode; see README).</summary>
    Client,
}

/// <summary>Section <c>ChatCluster:Gateway</c>.</summary>
public sealed class GatewayOptions : IValidatableObject
{
    public const string Section = "ChatCluster:Gateway";

    public ClusterMode Mode { get; set; } = ClusterMode.Embedded;

    /// <summary>Secret for the operator API (<c>X-Operator-Key</c> header). Generated and printed in embedded mode when empty.</summary>
    public string? OperatorKey { get; set; }

    /// <summary>The largest WebSocket message accepted (64 KiB).</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxFrameBytes { get; set; } = 64 * 1024;

    /// <summary>How often the server sends WebSocket ping control frames.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A connection that sends nothing (no frame, no ping) for this long is closed with 4008.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(75);

    /// <summary>A connection must send its hello within this time.</summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Sustained frames per second a connection may send.</summary>
    [Range(1, 10_000)]
    public double FramesPerSecond { get; set; } = 20;

    /// <summary>Frames a connection may send in a burst above the sustained rate.</summary>
    [Range(1, 100_000)]
    public int FrameBurst { get; set; } = 60;

    /// <summary>
    /// Frames dropped for rate limiting before the connection is closed with 4029. The count starts again only once
    /// the client has paused long enough to refill its whole burst, so a client sending steadily at 1.5× the rate is
    /// closed within 10 s (the burst lasts 6 s, then 10 strikes a second).
    /// </summary>
    [Range(1, 100_000)]
    public int RateLimitStrikes { get; set; } = 20;

    /// <summary>
    /// Inbox snapshots that only moved a conversation's last message are held this long and reach each agent socket
    /// together in one <c>inbox</c> frame (status, assignment and close go out at once); zero sends every one. With the
    /// conversation's own 400 ms tick the inbox stays under 1 s stale.
    /// </summary>
    public TimeSpan InboxActivityInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How often this gateway re-registers with the conversations its sockets follow; a conversation forgets a gateway
    /// that has not done so for two minutes (a dead gateway ages out by itself).
    /// </summary>
    public TimeSpan FollowRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// While live messages reach this gateway's sockets later than this after their ack (a backlog: 16 late deliveries
    /// within this long), new sends through it are refused with the retryable <c>rate_limited</c> error, so delivery
    /// falls no further behind (issue 13 item 7).
    /// </summary>
    public TimeSpan MaxDeliveryLag { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Frames queued for a slow reader before the gateway gives up on it (it resumes on reconnect).</summary>
    [Range(16, 100_000)]
    public int SendQueueLimit { get; set; } = 1024;

    /// <summary>
    /// A CSV table of IP ranges to countries (<c>first,last,CC</c>), for the coarse location in the anonymised
    /// statistics (R2). Without one, every visitor's country is unknown (<c>ZZ</c>).
    /// </summary>
    public string? CountryTablePath { get; set; }

    /// <summary>
    /// Reverse proxies and load balancers in front of the gateway, as addresses (<c>10.0.0.5</c>) or networks
    /// (<c>10.0.0.0/8</c>). Only a request arriving from one of them may name the client's address in
    /// <c>X-Forwarded-For</c> (and the scheme in <c>X-Forwarded-Proto</c>); that address is the one the login
    /// throttle counts, the country is looked up from and the visitor's record keeps. Empty (the default): the
    /// headers are ignored and the peer's own address counts.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (InboxActivityInterval < TimeSpan.Zero || InboxActivityInterval > TimeSpan.FromSeconds(1))
            yield return new ValidationResult("must be between 0 and 1 second (the inbox is at most 1 s stale), e.g. 00:00:00.5.", [nameof(InboxActivityInterval)]);
        if (FollowRefreshInterval < TimeSpan.FromSeconds(1) || FollowRefreshInterval > Conversations.ConversationFollowing.Expiry / 2)
            yield return new ValidationResult($"must be between 1 second and {Conversations.ConversationFollowing.Expiry / 2} (half the conversations' registration expiry), e.g. 00:00:30.", [nameof(FollowRefreshInterval)]);
        if (MaxDeliveryLag < TimeSpan.FromMilliseconds(50) || MaxDeliveryLag > TimeSpan.FromMinutes(1))
            yield return new ValidationResult("must be between 50 ms and 1 minute, e.g. 00:00:02.", [nameof(MaxDeliveryLag)]);
        foreach (var entry in TrustedProxies)
        {
            if (ProxyNetwork(entry) is null)
                yield return new ValidationResult($"'{entry}' is neither an IP address nor a network such as 10.0.0.0/8.", [nameof(TrustedProxies)]);
        }
    }

    /// <summary>A trusted-proxy entry as a network (an address is a network of one); null when it is neither.</summary>
    public static System.Net.IPNetwork? ProxyNetwork(string? entry)
    {
        var text = entry?.Trim() ?? "";
        if (System.Net.IPNetwork.TryParse(text, out var network)) return network;
        return System.Net.IPAddress.TryParse(text, out var address)
            ? new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
            : null;
    }
}

/// <summary>Section <c>ChatCluster:Auth</c>: signing of agent bearer tokens (JWT, HS256) and login throttling.</summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "ChatCluster:Auth";

    /// <summary>Base64 of at least 32 random bytes. Generated per start in embedded mode when empty.</summary>
    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "chatcluster";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// How long a token that may only enrol a second factor lives (T2): long enough to scan a QR code, short
    /// enough that a password alone opens little.
    /// </summary>
    public TimeSpan EnrolmentTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long an admin-issued enrolment code (two-step login required, not yet enrolled; T2) stays usable.</summary>
    public TimeSpan EnrolmentCodeLifetime { get; set; } = TimeSpan.FromDays(3);

    /// <summary>How long an invitation (a member added without a password sets their own; T2) stays usable.</summary>
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Login attempts one client address may make per minute, right or wrong (each costs a bcrypt check). Behind a
    /// reverse proxy every client has the proxy's address: raise it to cover a whole team logging in at once.
    /// </summary>
    [Range(1, 1_000_000)]
    public int LoginAttemptsPerMinute { get; set; } = 60;

    /// <summary>Failed logins (password or TOTP) of one account, within <see cref="LoginLockout"/> of each other, before it is locked.</summary>
    [Range(1, 1000)]
    public int LoginFailuresBeforeLockout { get; set; } = 5;

    /// <summary>How long a locked account refuses logins after its last failure.</summary>
    public TimeSpan LoginLockout { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TokenLifetime <= TimeSpan.Zero || TokenLifetime > TimeSpan.FromDays(30))
            yield return new ValidationResult("must be positive and at most 30 days, e.g. 12:00:00.", [nameof(TokenLifetime)]);
        if (EnrolmentTokenLifetime <= TimeSpan.Zero || EnrolmentTokenLifetime > TimeSpan.FromDays(1))
            yield return new ValidationResult("must be positive and at most one day, e.g. 00:15:00.", [nameof(EnrolmentTokenLifetime)]);
        if (EnrolmentCodeLifetime <= TimeSpan.Zero || EnrolmentCodeLifetime > TimeSpan.FromDays(30))
            yield return new ValidationResult("must be positive and at most 30 days, e.g. 3.00:00:00.", [nameof(EnrolmentCodeLifetime)]);
        if (InvitationLifetime <= TimeSpan.Zero || InvitationLifetime > TimeSpan.FromDays(30))
            yield return new ValidationResult("must be positive and at most 30 days, e.g. 7.00:00:00.", [nameof(InvitationLifetime)]);
        if (LoginLockout <= TimeSpan.Zero || LoginLockout > TimeSpan.FromDays(1))
            yield return new ValidationResult("must be positive and at most one day, e.g. 00:05:00.", [nameof(LoginLockout)]);
    }
}

/// <summary>Section <c>ChatCluster:Demo</c>: the demo tenant seeded in embedded mode only.</summary>
public sealed class DemoOptions
{
    public const string Section = "ChatCluster:Demo";

    public bool Enabled { get; set; } = true;

    public string TenantId { get; set; } = "demo";

    public string AgentEmail { get; set; } = "agent@demo.local";

    /// <summary>Generated per start when empty; printed in the start-up log.</summary>
    public string? AgentPassword { get; set; }

    /// <summary>Extra origins the demo widget may be embedded from, besides the gateway's own.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}
