using System.Security.Cryptography;
using ChatCluster.Grains.Privacy;
using ChatCluster.Integrations;
using ChatCluster.Privacy;

namespace ChatCluster.Grains.Integrations;

public sealed class ApiKeysGrain(
    [PersistentState("api-keys", StorageNames.Chat)] IPersistentState<ApiKeysState> state,
    TimeProvider time) : Grain, IApiKeysGrain
{
    private string TenantId => this.GetPrimaryKeyString();

    public async Task<CreatedApiKey> Create(string name, IReadOnlyList<string> scopes, string actor)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > ApiKeyFormat.MaxNameLength)
            throw ChatRuleException.Invalid($"A key needs a name of 1 to {ApiKeyFormat.MaxNameLength} characters.");
        if (scopes.Count == 0) throw ChatRuleException.Invalid("A key needs at least one scope: " + string.Join(", ", ApiKeyScopes.All) + ".");
        if (scopes.FirstOrDefault(s => !ApiKeyScopes.IsKnown(s)) is { } unknown)
            throw ChatRuleException.Invalid($"Unknown scope '{(unknown.Length > 40 ? unknown[..40] + "…" : unknown)}'; scopes are " + string.Join(", ", ApiKeyScopes.All) + ".");
        if (state.State.Keys.Values.Count(k => k.Info.RevokedAt is null) >= ApiKeyFormat.MaxKeysPerTenant)
            throw ChatRuleException.Invalid($"A tenant has at most {ApiKeyFormat.MaxKeysPerTenant} live keys; revoke one first.");

        var now = time.GetUtcNow();
        var keyId = "k_" + Ids.Random(10);
        var secret = ApiKeyFormat.Compose(TenantId, keyId, Ids.Random(20));
        var record = new ApiKeyRecord
        {
            Info = new ApiKeyInfo(keyId, name.Trim(), [.. scopes.Distinct(StringComparer.Ordinal)], now, actor, RevokedAt: null),
            SecretHash = ApiKeyFormat.Hash(secret),
        };
        state.State.Keys[keyId] = record;
        await state.WriteStateAsync();
        await GrainFactory.Record(TenantId, new AuditEntry(now, actor, AuditAction.ApiKeyCreated, AuditEntry.TenantSubject,
            $"key {keyId} scopes {string.Join(" ", record.Info.Scopes)}"));
        return new CreatedApiKey(record.Info, secret);
    }

    public Task<IReadOnlyList<ApiKeyInfo>> List() =>
        Task.FromResult<IReadOnlyList<ApiKeyInfo>>([.. state.State.Keys.Values.Select(k => k.Info).OrderBy(k => k.CreatedAt)]);

    public async Task<ApiKeyInfo> Revoke(string keyId, string actor)
    {
        if (!state.State.Keys.TryGetValue(keyId, out var record)) throw ChatRuleException.NotFound($"API key '{keyId}'");
        if (record.Info.RevokedAt is not null) return record.Info;
        var now = time.GetUtcNow();
        record.Info = record.Info with { RevokedAt = now };
        await state.WriteStateAsync();
        await GrainFactory.Record(TenantId, new AuditEntry(now, actor, AuditAction.ApiKeyRevoked, AuditEntry.TenantSubject, $"key {keyId}"));
        return record.Info;
    }

    public Task<ApiKeyInfo?> Verify(string keyId, byte[] secretHash) =>
        Task.FromResult(state.State.Keys.TryGetValue(keyId, out var record) && record.Info.RevokedAt is null
            && CryptographicOperations.FixedTimeEquals(record.SecretHash, secretHash)
                ? record.Info
                : null);

    public async Task Purge()
    {
        if (state.RecordExists) await state.ClearStateAsync();
        DeactivateOnIdle();
    }
}

[GenerateSerializer]
public sealed class ApiKeysState
{
    [Id(0)] public Dictionary<string, ApiKeyRecord> Keys { get; set; } = [];
}

[GenerateSerializer]
public sealed class ApiKeyRecord
{
    [Id(0)] public ApiKeyInfo Info { get; set; } = null!;
    [Id(1)] public byte[] SecretHash { get; set; } = [];
}
