using ChatCluster.Security;
using OtpNet;

namespace ChatCluster.Grains.Tests;

/// <summary>T2: TOTP enrolment and verification with a ±1 step window and no replay.</summary>
[Collection(RetentionCollection.Name)]
public sealed class TotpTests(RetentionCluster cluster)
{
    private IAgentMfaGrain NewAgent() => cluster.Grains.GetGrain<IAgentMfaGrain>(GrainKeys.Scoped("t-" + Ids.Random(6), Ids.NewAgentId()));

    private string Code(string secret, TimeSpan offset = default) =>
        new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp((cluster.Time.GetUtcNow() + offset).UtcDateTime);

    [Fact]
    public async Task Enrolment_is_confirmed_with_a_current_code_and_the_secret_is_never_handed_out_again()
    {
        var mfa = NewAgent();
        var enrolment = await mfa.BeginEnrolment("ann@shop.test", "ChatCluster");
        Assert.StartsWith("otpauth://totp/", enrolment.OtpAuthUri);
        Assert.Contains("secret=" + enrolment.Secret, enrolment.OtpAuthUri);
        Assert.False(await mfa.IsEnabled());

        await mfa.Confirm(Code(enrolment.Secret));

        Assert.True(await mfa.IsEnabled());
        Assert.Equal(ErrorCodes.Conflict, (await Assert.ThrowsAsync<ChatRuleException>(() => mfa.BeginEnrolment("ann@shop.test", "ChatCluster"))).Code);
    }

    [Fact]
    public async Task A_login_code_is_accepted_one_step_either_side_but_not_twice_and_not_when_wrong_or_old()
    {
        var mfa = NewAgent();
        var secret = (await mfa.BeginEnrolment("ann@shop.test", "ChatCluster")).Secret;
        await mfa.Confirm(Code(secret));
        cluster.Time.Advance(TimeSpan.FromSeconds(TotpRules.StepSeconds));

        var next = Code(secret, TimeSpan.FromSeconds(TotpRules.StepSeconds)); // the authenticator's clock runs a step ahead
        await mfa.Verify(next);
        Assert.Equal(ErrorCodes.TotpReused, (await Assert.ThrowsAsync<ChatRuleException>(() => mfa.Verify(next))).Code);

        cluster.Time.Advance(TimeSpan.FromSeconds(TotpRules.StepSeconds * 3));
        var old = Code(secret, TimeSpan.FromSeconds(-TotpRules.StepSeconds * 2));
        Assert.Equal(ErrorCodes.InvalidTotp, (await Assert.ThrowsAsync<ChatRuleException>(() => mfa.Verify(old))).Code);
        Assert.Equal(ErrorCodes.InvalidTotp, (await Assert.ThrowsAsync<ChatRuleException>(() => mfa.Verify("12345x"))).Code);
        var wrong = ((int.Parse(Code(secret)) + 1) % 1_000_000).ToString("D6");
        Assert.Equal(ErrorCodes.InvalidTotp, (await Assert.ThrowsAsync<ChatRuleException>(() => mfa.Verify(wrong))).Code);
        await mfa.Verify(Code(secret));
    }

    [Fact]
    public async Task A_wrong_confirmation_code_does_not_enable_totp()
    {
        var mfa = NewAgent();
        await mfa.BeginEnrolment("ann@shop.test", "ChatCluster");
        Assert.Equal(ErrorCodes.InvalidTotp, (await Assert.ThrowsAsync<ChatRuleException>(() => mfa.Confirm("000000x"))).Code);
        Assert.False(await mfa.IsEnabled());
    }
}
