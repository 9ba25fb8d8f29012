using ChatCluster.Security;
using OtpNet;

namespace ChatCluster.Grains.Security;

/// <summary>
/// TOTP for one agent with Otp.NET. The last accepted time step is durable, so a code seen once (by a
/// shoulder-surfer, a proxy log) cannot log in again within its window, even after a restart.
/// </summary>
public sealed class AgentMfaGrain(
    [PersistentState("mfa", StorageNames.Chat)] IPersistentState<AgentMfaState> state,
    TimeProvider time) : Grain, IAgentMfaGrain
{
    public async Task<TotpEnrolment> BeginEnrolment(string accountName, string issuer)
    {
        if (state.State.Enabled) throw ChatRuleException.Conflict("TOTP is already enabled for this account.");
        var secret = KeyGeneration.GenerateRandomKey(20);
        state.State.Secret = secret;
        await state.WriteStateAsync();
        var base32 = Base32Encoding.ToString(secret);
        var uri = new OtpUri(OtpType.Totp, base32, accountName, issuer, OtpHashMode.Sha1, TotpRules.Digits, TotpRules.StepSeconds).ToString();
        return new TotpEnrolment(base32, uri);
    }

    public async Task Confirm(string code)
    {
        if (state.State.Enabled) return;
        if (state.State.Secret is null) throw ChatRuleException.Invalid("Start the enrolment first (POST /api/me/totp/enrol).");
        var step = Match(code);
        state.State.Enabled = true;
        state.State.LastUsedStep = step;
        await state.WriteStateAsync();
    }

    public Task Purge() => state.RecordExists ? state.ClearStateAsync() : Task.CompletedTask;

    public Task<bool> IsEnabled() => Task.FromResult(state.State.Enabled);

    public async Task Verify(string code)
    {
        if (!state.State.Enabled) throw ChatRuleException.Invalid("TOTP is not enabled for this account.");
        var step = Match(code);
        if (step <= state.State.LastUsedStep)
            throw new ChatRuleException(ErrorCodes.TotpReused, "This code was already used; wait for the next one.");
        state.State.LastUsedStep = step;
        await state.WriteStateAsync();
    }

    /// <summary>The time step <paramref name="code"/> belongs to, within one step of now.</summary>
    private long Match(string code)
    {
        code = code.Trim().Replace(" ", "", StringComparison.Ordinal);
        var totp = new Totp(state.State.Secret!, TotpRules.StepSeconds, OtpHashMode.Sha1, TotpRules.Digits);
        var window = new VerificationWindow(previous: TotpRules.Window, future: TotpRules.Window);
        if (code.Length != TotpRules.Digits || !code.All(char.IsAsciiDigit)
            || !totp.VerifyTotp(time.GetUtcNow().UtcDateTime, code, out var step, window))
            throw new ChatRuleException(ErrorCodes.InvalidTotp, "The code is wrong or expired; enter the current code from your authenticator app.");
        return step;
    }
}

[GenerateSerializer]
public sealed class AgentMfaState
{
    /// <summary>The shared secret (raw bytes); never returned after enrolment.</summary>
    [Id(0)] public byte[]? Secret { get; set; }
    [Id(1)] public bool Enabled { get; set; }
    [Id(2)] public long LastUsedStep { get; set; } = -1;
}
