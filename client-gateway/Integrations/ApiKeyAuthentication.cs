using System.Security.Claims;
using System.Text.Encodings.Web;
using ChatCluster.Gateway.Api;
using ChatCluster.Gateway.Auth;
using ChatCluster.Integrations;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ChatCluster.Gateway.Integrations;

/// <summary>A server of the tenant calling with an API key (I4).</summary>
public sealed record ApiKeyPrincipal(string TenantId, string KeyId, IReadOnlyList<string> Scopes)
{
    /// <summary>How the audit log (R7) and the conversation name this caller.</summary>
    public string Actor => "apikey:" + KeyId;

    public static ApiKeyPrincipal? FromClaims(ClaimsPrincipal user) =>
        user.FindFirst(ApiKeyAuthentication.KeyClaim)?.Value is { } keyId && user.FindFirst(AgentTokens.TenantClaim)?.Value is { } tenantId
            ? new ApiKeyPrincipal(tenantId, keyId, [.. user.FindAll(ApiKeyAuthentication.ScopeClaim).Select(c => c.Value)])
            : null;
}

/// <summary>
/// The <c>ApiKey</c> authentication scheme: <c>Authorization: Bearer ck_{tenant}.{key}.{secret}</c>. The key names its
/// tenant, so one call of that tenant's <see cref="IApiKeysGrain"/> checks it; nothing is cached, so a revocation holds
/// from the next request on. Only endpoints whose policy names this scheme run it; an agent's policy never sees a key.
/// </summary>
public sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IClusterClient grains)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string KeyClaim = "api_key";
    public const string ScopeClaim = "api_scope";

    private const string BearerPrefix = "Bearer ";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(BearerPrefix + ApiKeyFormat.Prefix, StringComparison.Ordinal)) return AuthenticateResult.NoResult();
        var key = header[BearerPrefix.Length..].Trim();
        if (!ApiKeyFormat.TryParse(key, out var tenantId, out var keyId)) return AuthenticateResult.Fail("This is not an API key.");
        var info = await grains.GetGrain<IApiKeysGrain>(tenantId).Verify(keyId, ApiKeyFormat.Hash(key));
        if (info is null) return AuthenticateResult.Fail("Unknown or revoked API key.");

        var claims = new List<Claim> { new(AgentTokens.TenantClaim, tenantId), new(KeyClaim, keyId), new(AgentTokens.NameClaim, info.Name) };
        claims.AddRange(info.Scopes.Select(s => new Claim(ScopeClaim, s)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, AgentTokens.NameClaim, AgentTokens.RoleClaim)), SchemeName));
    }

    /// <summary>The same problem shape as everywhere, saying what is wrong with the key rather than asking for a login.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var sent = Request.Headers.Authorization.ToString().StartsWith(BearerPrefix + ApiKeyFormat.Prefix, StringComparison.Ordinal);
        var problem = sent
            ? ProblemMapping.Problem(ErrorCodes.InvalidToken, "This API key is unknown or was revoked.")
            : ProblemMapping.Problem(ErrorCodes.NotAuthenticated, "Send a tenant API key (ck_…) in the Authorization header: Bearer ck_….");
        return problem.ExecuteAsync(Context);
    }
}
