using Orleans.Concurrency;

namespace ChatCluster.Integrations;

/// <summary>
/// A tenant's API keys for server-to-server use of the REST API (I4). Keyed by tenant id. A key's secret is shown
/// once, at creation; only its SHA-256 is kept (the secret is 160 random bits, so a fast hash is as safe as bcrypt and
/// costs nothing per request).
/// </summary>
public interface IApiKeysGrain : IGrainWithStringKey
{
    /// <summary>Makes a key with <paramref name="scopes"/>; the answer is the only time its secret is seen. Audited (R7).</summary>
    Task<CreatedApiKey> Create(string name, IReadOnlyList<string> scopes, string actor);

    /// <summary>Every key, revoked ones included (they say when); never a secret.</summary>
    Task<IReadOnlyList<ApiKeyInfo>> List();

    /// <summary>Revokes a key at once; later calls with it get <c>invalid_token</c>. Audited (R7).</summary>
    Task<ApiKeyInfo> Revoke(string keyId, string actor);

    /// <summary>The key if <paramref name="secretHash"/> is its secret's SHA-256 and it is not revoked; otherwise null.</summary>
    [AlwaysInterleave]
    Task<ApiKeyInfo?> Verify(string keyId, byte[] secretHash);

    /// <summary>Deletes every key (account closure, R3).</summary>
    Task Purge();
}

/// <summary>What a key may do; an endpoint names the one scope it needs.</summary>
public static class ApiKeyScopes
{
    public const string ConversationsRead = "conversations:read";
    public const string ConversationsWrite = "conversations:write";
    public const string MessagesSend = "messages:send";
    public const string WebhooksManage = "webhooks:manage";
    public const string ReportsRead = "reports:read";

    public static readonly IReadOnlyList<string> All = [ConversationsRead, ConversationsWrite, MessagesSend, WebhooksManage, ReportsRead];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);
}

[GenerateSerializer, Immutable]
public sealed record ApiKeyInfo(
    string KeyId, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt);

/// <param name="Secret">The whole key, <c>ck_{tenantId}.{keyId}.{secret}</c>: shown once, then only its hash is kept.</param>
[GenerateSerializer, Immutable]
public sealed record CreatedApiKey(ApiKeyInfo Key, string Secret);

/// <summary>The shape of a key: it names its tenant and key id, so the gateway finds the one grain that can check it.</summary>
public static class ApiKeyFormat
{
    public const string Prefix = "ck_";
    public const int MaxNameLength = 80;
    public const int MaxKeysPerTenant = 50;

    public static string Compose(string tenantId, string keyId, string secret) => $"{Prefix}{tenantId}.{keyId}.{secret}";

    public static bool TryParse(string? value, out string tenantId, out string keyId)
    {
        tenantId = keyId = "";
        if (value is null || value.Length > 200 || !value.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = value[Prefix.Length..].Split('.');
        if (parts.Length != 3 || !Ids.IsTenantId(parts[0]) || !Ids.IsLocalId(parts[1]) || parts[2].Length < 20) return false;
        (tenantId, keyId) = (parts[0], parts[1]);
        return true;
    }

    public static byte[] Hash(string key) => System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key));
}
