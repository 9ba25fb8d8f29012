using System.Text.RegularExpressions;
using ChatCluster.Grains.Privacy;
using ChatCluster.Privacy;
using ChatCluster.Grains.Mail;

namespace ChatCluster.Grains.Tests;

/// <summary>R5 self-service: the email index follows the visitor's email; codes expire after 15 minutes and allow 5 attempts.</summary>
[Collection(RetentionCollection.Name)]
public sealed partial class SelfServiceTests(RetentionCluster cluster)
{
    [Fact]
    public async Task The_email_index_follows_setting_rectifying_and_expiry_and_never_stores_the_address()
    {
        var tenant = await cluster.NewTenant(new RetentionPolicy(TimeSpan.FromDays(30), false));
        var chat = await cluster.NewChat(tenant);
        var old = Index(tenant, Chat.Email);
        Assert.Equal([chat.VisitorId], (await cluster.StoredState<SelfServiceState>(old, "self-service")).State.VisitorIds);

        await chat.Visitor.Rectify(null, "Joanna.New@Example.com");
        Assert.False((await cluster.StoredState<SelfServiceState>(old, "self-service")).Exists);
        var renamed = Index(tenant, "joanna.new@example.com");
        var stored = await cluster.StoredState<SelfServiceState>(renamed, "self-service");
        Assert.Equal([chat.VisitorId], stored.State.VisitorIds);

        cluster.Time.Advance(TimeSpan.FromDays(31));
        await RetentionCluster.Eventually(async () => !(await cluster.StoredState<SelfServiceState>(renamed, "self-service")).Exists, "the index entry expired with the visitor");
    }

    [Fact]
    public async Task A_code_expires_after_15_minutes_allows_five_attempts_and_is_rate_limited()
    {
        var tenant = await cluster.NewTenant();
        await cluster.NewChat(tenant);
        var self = Index(tenant, Chat.Email);

        await self.RequestCode(Chat.Email);
        var code = await MailedCode(tenant);
        cluster.Time.Advance(SelfServiceGrain.CodeLifetime + TimeSpan.FromSeconds(1));
        Assert.Equal(ErrorCodes.CodeExpired, (await Assert.ThrowsAsync<ChatRuleException>(() => self.Confirm(code))).Code);

        await self.RequestCode(Chat.Email);
        code = await MailedCode(tenant);
        var wrong = code == "000000" ? "111111" : "000000";
        for (var i = 0; i < SelfServiceGrain.MaxAttempts; i++)
            Assert.Equal(ErrorCodes.InvalidCode, (await Assert.ThrowsAsync<ChatRuleException>(() => self.Confirm(wrong))).Code);
        Assert.Equal(ErrorCodes.InvalidCode, (await Assert.ThrowsAsync<ChatRuleException>(() => self.Confirm(code))).Code);

        await self.RequestCode(Chat.Email);
        code = await MailedCode(tenant);
        var token = await self.Confirm(code);
        Assert.Equal(cluster.Time.GetUtcNow() + SelfServiceGrain.TokenLifetime, token.ExpiresAt);
        Assert.Single(await self.Authorize(token.Secret));
        await self.RequestCode(Chat.Email); // the third within 15 minutes
        Assert.Equal(ErrorCodes.RateLimited, (await Assert.ThrowsAsync<ChatRuleException>(() => self.RequestCode(Chat.Email))).Code);
        cluster.Time.Advance(SelfServiceGrain.TokenLifetime);
        Assert.Equal(ErrorCodes.InvalidToken, (await Assert.ThrowsAsync<ChatRuleException>(() => self.Authorize(token.Secret))).Code);
    }

    private ISelfServiceGrain Index(string tenant, string email) => cluster.Grains.GetGrain<ISelfServiceGrain>(EmailKeys.Scoped(tenant, email));

    private Task<string> MailedCode(string tenant)
    {
        var mail = cluster.Mail.Sent.Last(m => m.TenantId == tenant && m.SubjectId == EmailKeys.LocalId(tenant, Chat.Email));
        Assert.Equal(Chat.Email, mail.ToAddress);
        var match = CodePattern().Match(mail.TextBody);
        Assert.True(match.Success);
        return Task.FromResult(match.Groups[1].Value);
    }

    [GeneratedRegex(@"code is (\d{6})")]
    private static partial Regex CodePattern();
}

/// <summary>A mail sender for tests: keeps what was sent in memory, forgets it on purge like the real ones.</summary>
public sealed class RecordingMailSender : IMailSender
{
    private readonly List<OutgoingMail> sent = [];

    public IReadOnlyList<OutgoingMail> Sent { get { lock (sent) return [.. sent]; } }

    public Task Send(OutgoingMail mail)
    {
        lock (sent) sent.Add(mail);
        return Task.CompletedTask;
    }

    public Task Purge(string tenantId, string subjectId)
    {
        lock (sent) sent.RemoveAll(m => m.TenantId == tenantId && m.SubjectId == subjectId);
        return Task.CompletedTask;
    }

    public Task PurgeTenant(string tenantId)
    {
        lock (sent) sent.RemoveAll(m => m.TenantId == tenantId);
        return Task.CompletedTask;
    }
}
