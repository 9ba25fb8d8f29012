using System.Text.RegularExpressions;
using ChatCluster.Grains.Privacy;
using ChatCluster.Privacy;
using ChatCluster.Grains.Mail;
using ChatCluster.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatCluster.Grains.Tests;

/// <summary>R5 self-service: the email index follows the visitor's email; codes, attempts, requests and tokens keep the configured limits.</summary>
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
    public async Task A_code_expires_allows_the_configured_attempts_and_requests_and_the_token_expires_as_configured()
    {
        var limits = Limits; // 10 min codes, 3 attempts, 4 codes per 30 min, 5 min tokens (RetentionCluster)
        var tenant = await cluster.NewTenant();
        await cluster.NewChat(tenant);
        var self = Index(tenant, Chat.Email);

        await self.RequestCode(Chat.Email);
        var code = await MailedCode(tenant);
        Assert.Contains("valid for 10 minutes", cluster.Mail.Sent.Last(m => m.TenantId == tenant).TextBody);
        cluster.Time.Advance(limits.CodeLifetime + TimeSpan.FromSeconds(1));
        Assert.Equal(ErrorCodes.InvalidCode, (await Assert.ThrowsAsync<ChatRuleException>(() => self.Confirm(code))).Code); // the same as unknown

        await self.RequestCode(Chat.Email);
        code = await MailedCode(tenant);
        var wrong = code == "000000" ? "111111" : "000000";
        for (var i = 0; i < limits.MaxAttempts; i++)
            Assert.Equal(ErrorCodes.InvalidCode, (await Assert.ThrowsAsync<ChatRuleException>(() => self.Confirm(wrong))).Code);
        Assert.Equal(ErrorCodes.InvalidCode, (await Assert.ThrowsAsync<ChatRuleException>(() => self.Confirm(code))).Code);

        await self.RequestCode(Chat.Email);
        code = await MailedCode(tenant);
        var token = await self.Confirm(code);
        Assert.Equal(cluster.Time.GetUtcNow() + limits.TokenLifetime, token.ExpiresAt);
        Assert.Single(await self.Authorize(token.Secret));
        await self.RequestCode(Chat.Email); // the fourth within 30 minutes: the first still counts
        var limited = await Assert.ThrowsAsync<ChatRuleException>(() => self.RequestCode(Chat.Email));
        Assert.Equal(ErrorCodes.RateLimited, limited.Code);
        Assert.Contains("4 codes per address every 30 minutes", limited.Message);
        cluster.Time.Advance(limits.TokenLifetime);
        Assert.Equal(ErrorCodes.InvalidToken, (await Assert.ThrowsAsync<ChatRuleException>(() => self.Authorize(token.Secret))).Code);
    }

    [Fact]
    public async Task The_code_request_limit_survives_the_grain_being_deactivated()
    {
        var tenant = await cluster.NewTenant();
        await cluster.NewChat(tenant);
        var self = Index(tenant, Chat.Email);
        for (var i = 0; i < Limits.MaxCodeRequests; i++) await self.RequestCode(Chat.Email);

        await DeactivateEveryGrain();
        Assert.Equal(ErrorCodes.RateLimited, (await Assert.ThrowsAsync<ChatRuleException>(() => self.RequestCode(Chat.Email))).Code);
        cluster.Time.Advance(Limits.RateWindow);
        await self.RequestCode(Chat.Email);
    }

    [Fact]
    public async Task An_unknown_address_is_rate_limited_across_deactivation_and_its_row_holds_only_request_times_until_the_window_ends()
    {
        var tenant = await cluster.NewTenant();
        const string unknown = "nobody@example.com";
        var self = Index(tenant, unknown);
        for (var i = 0; i < Limits.MaxCodeRequests; i++) await self.RequestCode(unknown);

        await DeactivateEveryGrain();
        Assert.Equal(ErrorCodes.RateLimited, (await Assert.ThrowsAsync<ChatRuleException>(() => self.RequestCode(unknown))).Code);
        var stored = await cluster.StoredState<SelfServiceState>(self, "self-service");
        Assert.Equal(Limits.MaxCodeRequests, stored.State.CodeRequests.Count);
        Assert.Empty(stored.State.VisitorIds);
        Assert.Null(stored.State.CodeHash);
        Assert.DoesNotContain(cluster.Mail.Sent, m => m.TenantId == tenant);

        // The window reminder (here called at once rather than waited for) deletes the row once the window is over.
        var reminder = cluster.Grains.GetGrain<IRemindable>(self.GetGrainId());
        await reminder.ReceiveReminder(SelfServiceGrain.RateWindowReminder, default);
        Assert.True((await cluster.StoredState<SelfServiceState>(self, "self-service")).Exists);
        cluster.Time.Advance(Limits.RateWindow);
        await reminder.ReceiveReminder(SelfServiceGrain.RateWindowReminder, default);
        Assert.False((await cluster.StoredState<SelfServiceState>(self, "self-service")).Exists);
    }

    [Fact]
    public void Self_service_limits_that_make_no_sense_are_refused_by_name()
    {
        Assert.Empty(new SelfServiceOptions().Problems());
        var problems = new SelfServiceOptions
        {
            CodeLifetime = TimeSpan.Zero,
            MaxAttempts = 0,
            MaxCodeRequests = -1,
            RateWindow = TimeSpan.FromSeconds(5),
            TokenLifetime = TimeSpan.FromDays(3),
        }.Problems().ToList();
        foreach (var setting in (string[])["CodeLifetime", "MaxAttempts", "MaxCodeRequests", "RateWindow", "TokenLifetime"])
            Assert.Contains(problems, p => p.StartsWith($"ChatCluster:SelfService:{setting} is", StringComparison.Ordinal));
    }

    [Fact]
    public void A_silo_with_a_bad_self_service_limit_refuses_to_start_and_names_the_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatCluster:SelfService:MaxAttempts"] = "1000",
        }).Build();
        var error = Assert.Throws<OptionsValidationException>(() => new SiloBuilderProbe().AddChatSelfService(configuration));
        Assert.Contains("ChatCluster:SelfService:MaxAttempts", error.Message);

        var unparsable = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatCluster:SelfService:RateWindow"] = "a quarter of an hour",
        }).Build();
        Assert.Contains("ChatCluster:SelfService", Assert.Throws<OptionsValidationException>(() => new SiloBuilderProbe().AddChatSelfService(unparsable)).Message);
    }

    [Fact]
    public async Task Known_and_unknown_addresses_get_the_same_answers_and_a_slow_mail_server_does_not_delay_the_request()
    {
        var tenant = await cluster.NewTenant();
        await cluster.NewChat(tenant);
        var known = Index(tenant, Chat.Email);
        var unknown = Index(tenant, "nobody@example.org");

        cluster.Mail.Delay = TimeSpan.FromSeconds(3);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await known.RequestCode(Chat.Email);
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2)); // the mail is queued, not awaited
            await unknown.RequestCode("nobody@example.org");
            await RetentionCluster.Eventually(() => Task.FromResult(cluster.Mail.Sent.Any(m => m.TenantId == tenant)), "the queued code was mailed");
        }
        finally
        {
            cluster.Mail.Delay = TimeSpan.Zero;
        }

        cluster.Time.Advance(Limits.CodeLifetime + TimeSpan.FromSeconds(1));
        var expired = await Assert.ThrowsAsync<ChatRuleException>(() => known.Confirm("123456"));
        var none = await Assert.ThrowsAsync<ChatRuleException>(() => unknown.Confirm("123456"));
        Assert.Equal((none.Code, none.Message), (expired.Code, expired.Message));
    }

    private SelfServiceOptions Limits => cluster.Silo.GetRequiredService<IOptions<SelfServiceOptions>>().Value;

    /// <summary>Deactivates every idle grain of the silo, as an idle timeout or a restart would; state is reloaded from storage.</summary>
    private Task DeactivateEveryGrain() => cluster.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

    private ISelfServiceGrain Index(string tenant, string email) => cluster.Grains.GetGrain<ISelfServiceGrain>(cluster.EmailIndex.Scoped(tenant, email));

    private Task<string> MailedCode(string tenant)
    {
        var mail = cluster.Mail.Sent.Last(m => m.TenantId == tenant && m.SubjectId == cluster.EmailIndex.LocalId(tenant, Chat.Email));
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

    private readonly HashSet<string> down = [];

    public IReadOnlyList<OutgoingMail> Sent { get { lock (sent) return [.. sent]; } }

    /// <summary>While set, mail filed under <paramref name="subjectId"/> fails as with a mail server that is down (transient).</summary>
    public void Down(string subjectId, bool isDown = true)
    {
        lock (sent)
        {
            if (isDown) down.Add(subjectId);
            else down.Remove(subjectId);
        }
    }

    /// <summary>How long each send takes, like a slow mail server.</summary>
    public TimeSpan Delay { get; set; }

    public async Task Send(OutgoingMail mail)
    {
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
        lock (sent)
        {
            if (down.Contains(mail.SubjectId)) throw new MailDeliveryException("Mail not sent: connecting to the test mail server failed.", transient: true);
            sent.Add(mail);
        }
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

/// <summary>Just enough of a silo builder to run a setup extension and see whether it accepts the configuration.</summary>
internal sealed class SiloBuilderProbe : Orleans.Hosting.ISiloBuilder
{
    public IServiceCollection Services { get; } = new ServiceCollection();

    public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();
}
