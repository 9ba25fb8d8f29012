using System.Security.Cryptography;
using System.Text;
using ChatCluster.Security;

namespace ChatCluster.Grains.Security;

public sealed class AgentSetupCodesGrain(
    [PersistentState("setup-codes", StorageNames.Chat)] IPersistentState<AgentSetupCodesState> state,
    TimeProvider time) : Grain, IAgentSetupCodesGrain
{
    /// <summary>Wrong guesses before a code is burnt: with 100 bits of code this only bounds the grain's work.</summary>
    private const int MaxFailures = 5;

    public async Task<SetupCode> Issue(SetupPurpose purpose, TimeSpan lifetime)
    {
        if (lifetime <= TimeSpan.Zero || lifetime > TimeSpan.FromDays(30)) throw ChatRuleException.Invalid("A setup code lives between a second and 30 days.");
        var code = Ids.Random(13);
        var expires = time.GetUtcNow() + lifetime;
        state.State.Codes[purpose] = new PendingCode { Hash = Hash(code), ExpiresAt = expires };
        await state.WriteStateAsync();
        return new SetupCode(code, expires);
    }

    public async Task<bool> Redeem(SetupPurpose purpose, string code)
    {
        if (!state.State.Codes.TryGetValue(purpose, out var pending)) return false;
        if (pending.ExpiresAt <= time.GetUtcNow())
        {
            state.State.Codes.Remove(purpose);
            await state.WriteStateAsync();
            return false;
        }
        if (!CryptographicOperations.FixedTimeEquals(pending.Hash, Hash(code.Trim())))
        {
            if (++pending.Failures >= MaxFailures) state.State.Codes.Remove(purpose);
            await state.WriteStateAsync();
            return false;
        }
        state.State.Codes.Remove(purpose);
        await state.WriteStateAsync();
        return true;
    }

    public Task Purge() => state.RecordExists ? state.ClearStateAsync() : Task.CompletedTask;

    private static byte[] Hash(string code) => SHA256.HashData(Encoding.UTF8.GetBytes(code));
}

[GenerateSerializer]
public sealed class AgentSetupCodesState
{
    [Id(0)] public Dictionary<SetupPurpose, PendingCode> Codes { get; set; } = [];
}

[GenerateSerializer]
public sealed class PendingCode
{
    [Id(0)] public byte[] Hash { get; set; } = [];
    [Id(1)] public DateTimeOffset ExpiresAt { get; set; }
    [Id(2)] public int Failures { get; set; }
}
