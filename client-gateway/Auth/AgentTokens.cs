using System.Security.Claims;
using System.Text;
using ChatCluster.Gateway.Hosting;
using ChatCluster.Tenants;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatCluster.Gateway.Auth;

/// <summary>An authenticated team member, as read from a valid bearer token.</summary>
public sealed record AgentPrincipal(string TenantId, string AgentId, AgentRole Role, string DisplayName)
{
    /// <summary>The tenant generation and agent security stamp the token was issued with (T2): compared on every use.</summary>
    public SessionStamp Stamp { get; init; } = new("", "");

    /// <summary>The login proved a second factor (TOTP), so a tenant's MFA requirement is met by this session.</summary>
    public bool SecondFactor { get; init; }

    /// <summary>When the token was issued (<c>iat</c>), to tell a token newer than a cached stamp from a revoked one.</summary>
    public DateTimeOffset? IssuedAt { get; init; }

    /// <summary>The token may only enrol a second factor (see <see cref="AgentTokens.EnrolOnlyScope"/>).</summary>
    public bool EnrolOnly { get; init; }

    public Participant AsParticipant() => new(ParticipantKind.Agent, AgentId, DisplayName);

    public bool IsAdmin => Role is AgentRole.Admin or AgentRole.Owner;
}

/// <summary>Issues and validates agents' bearer tokens (JWT, HS256); used by the HTTP API and the socket hello alike.</summary>
public sealed class AgentTokens
{
    public const string TenantClaim = "tid";
    public const string RoleClaim = "role";
    public const string NameClaim = "name";

    /// <summary>Present with <see cref="EnrolOnlyScope"/> on a token that may only enrol a second factor (T2).</summary>
    public const string ScopeClaim = "scope";
    public const string EnrolOnlyScope = "mfa-enrol";

    /// <summary>The tenant's generation and the agent's security stamp at issue (T2): a change of either ends the session.</summary>
    public const string GenerationClaim = "gen";
    public const string StampClaim = "stamp";

    /// <summary>How the agent authenticated (RFC 8176): <c>otp</c> when a TOTP code was part of the login.</summary>
    public const string MethodClaim = "amr";
    public const string SecondFactorMethod = "otp";

    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };
    private readonly SymmetricSecurityKey key;
    private readonly AuthOptions options;
    private readonly TimeProvider time;

    public AgentTokens(AuthOptions options, TimeProvider time)
    {
        this.options = options;
        this.time = time;
        var bytes = Convert.FromBase64String(options.SigningKey ?? throw new InvalidOperationException($"{AuthOptions.Section}:SigningKey is not set."));
        if (bytes.Length < 32) throw new InvalidOperationException($"{AuthOptions.Section}:SigningKey must be at least 32 bytes (base64).");
        key = new SymmetricSecurityKey(bytes);
        ValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Issuer,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = NameClaim,
            RoleClaimType = RoleClaim,
            LifetimeValidator = (notBefore, expires, _, _) =>
                expires is { } e && e > time.GetUtcNow().UtcDateTime && (notBefore is null || notBefore <= time.GetUtcNow().UtcDateTime.AddSeconds(30)),
        };
    }

    public TokenValidationParameters ValidationParameters { get; }

    /// <param name="stamp">The tenant's generation and the agent's security stamp now; the token is valid while they stay the same.</param>
    /// <param name="secondFactor">The agent proved a TOTP code in this login.</param>
    /// <param name="enrolOnly">A token for an agent whose tenant requires MFA and who has not enrolled yet: it opens only the enrolment API.</param>
    public (string Token, DateTimeOffset ExpiresAt) Issue(string tenantId, AgentInfo agent, SessionStamp stamp, bool secondFactor = false, bool enrolOnly = false)
    {
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = agent.AgentId,
            [TenantClaim] = tenantId,
            [RoleClaim] = agent.Role.ToString().ToLowerInvariant(),
            [NameClaim] = agent.DisplayName,
            [GenerationClaim] = stamp.TenantGeneration,
            [StampClaim] = stamp.AgentStamp,
        };
        if (secondFactor) claims[MethodClaim] = SecondFactorMethod;
        if (enrolOnly) claims[ScopeClaim] = EnrolOnlyScope;
        var now = time.GetUtcNow();
        var expires = now + (enrolOnly && options.EnrolmentTokenLifetime < options.TokenLifetime ? options.EnrolmentTokenLifetime : options.TokenLifetime);
        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Issuer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
        return (token, expires);
    }

    /// <summary>The principal of a valid token, or null for a forged, expired or malformed one.</summary>
    public async Task<AgentPrincipal?> Validate(string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 4096) return null;
        var result = await handler.ValidateTokenAsync(token, ValidationParameters);
        if (!result.IsValid) return null;
        var user = new ClaimsPrincipal(result.ClaimsIdentity);
        return IsEnrolOnly(user) ? null : FromClaims(user);
    }

    public static AgentPrincipal? FromClaims(ClaimsPrincipal user)
    {
        var tenant = user.FindFirst(TenantClaim)?.Value;
        var agent = user.FindFirst(JwtRegisteredClaimNames.Sub)?.Value;
        var role = user.FindFirst(RoleClaim)?.Value;
        if (tenant is null || agent is null || !Enum.TryParse<AgentRole>(role, ignoreCase: true, out var parsed)) return null;
        return new AgentPrincipal(tenant, agent, parsed, user.FindFirst(NameClaim)?.Value ?? agent)
        {
            Stamp = new SessionStamp(user.FindFirst(GenerationClaim)?.Value ?? "", user.FindFirst(StampClaim)?.Value ?? ""),
            SecondFactor = user.HasClaim(MethodClaim, SecondFactorMethod),
            EnrolOnly = IsEnrolOnly(user),
            IssuedAt = long.TryParse(user.FindFirst(JwtRegisteredClaimNames.Iat)?.Value, out var iat) ? DateTimeOffset.FromUnixTimeSeconds(iat) : null,
        };
    }

    public static bool IsEnrolOnly(ClaimsPrincipal user) => user.HasClaim(ScopeClaim, EnrolOnlyScope);

    public static string NewSigningKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
