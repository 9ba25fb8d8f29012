using ChatCluster.Conversations;
using ChatCluster.Grains.Conversations;
using ChatCluster.Privacy;
using ChatCluster.Silo.Hosting;
using ChatCluster.Silo.Hosting.Mail;
using ChatCluster.Tenants;
using ChatCluster.Visitors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using MimeKit;
using Orleans.TestingHost;

namespace ChatCluster.Grains.Tests;

/// <summary>W5 over SMTP: a closed chat's transcript goes through MailKit to the mail server, and a failing server never costs the close.</summary>
public sealed class SmtpTranscriptTests(SmtpCluster cluster) : IClassFixture<SmtpCluster>
{
    [Fact]
    public async Task Closing_a_chat_mails_the_transcript_over_smtp_to_the_email_given()
    {
        var chat = await cluster.NewChat("jo-" + Ids.Random(5) + "@example.com");
        await chat.Conversation.Close(chat.Me);

        var delivery = await cluster.Server.WaitFor(chat.Email);
        Assert.Equal([chat.Email], delivery.To);
        var message = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(delivery.Data)));
        Assert.Equal("Your chat transcript", message.Subject);
        Assert.Contains(SmtpCluster.Text, message.TextBody);
        Assert.Contains("Hello Jo", message.TextBody);
    }

    [Fact]
    public async Task A_refused_recipient_is_logged_without_the_address_and_the_chat_still_closes()
    {
        var chat = await cluster.NewChat("refused-" + Ids.Random(5) + "@example.com");
        var summary = await chat.Conversation.Close(chat.Me);

        Assert.Equal(ConversationStatus.Closed, summary.Status);
        var line = await cluster.Logs.WaitFor(chat.ConversationId);
        Assert.Contains("SMTP 550", line);
        Assert.DoesNotContain(chat.Email, line);
        Assert.DoesNotContain(cluster.Server.Messages, m => m.To.Contains(chat.Email));
        // The grain lives on: the transcript is still readable and the close is stored.
        Assert.Equal(ConversationStatus.Closed, (await chat.Conversation.GetSummary())!.Status);
        Assert.Equal(SmtpCluster.Text, (await chat.Conversation.GetHistory(chat.Me, 0, 10)).Messages.Single().Text);
    }

    [Fact]
    public async Task A_refused_verification_code_answers_like_an_unknown_address_and_is_logged()
    {
        var chat = await cluster.NewChat("refused-" + Ids.Random(5) + "@example.com");
        var self = cluster.Grains.GetGrain<ISelfServiceGrain>(await cluster.Grains.GetGrain<IEmailIndexGrain>(chat.TenantId).Locate(chat.Email));

        await self.RequestCode(chat.Email); // an error here would tell the caller that the address is known (R5)
        var line = await cluster.Logs.WaitFor("verification code was not mailed");
        Assert.DoesNotContain(chat.Email, line);
    }

    [Fact]
    public async Task Over_smtp_no_copy_is_kept_and_erasure_after_the_mail_deletes_everything()
    {
        var chat = await cluster.NewChat("kept-" + Ids.Random(5) + "@example.com");
        await chat.Conversation.Close(chat.Me);
        await cluster.Server.WaitFor(chat.Email);
        Assert.False(Directory.Exists(cluster.OutboxPath)); // R6: nothing kept on our side to age out

        var report = await cluster.Grains.GetGrain<IDataProtectionGrain>(chat.TenantId).EraseVisitor(chat.VisitorId, "agent:a_admin");
        Assert.Equal(1, report.ConversationsErased);
        Assert.Null(await chat.Conversation.GetSummary());
    }
}

/// <summary>W5 with the mail server down: the close succeeds at once and the failure is logged as transient.</summary>
public sealed class SmtpServerDownTests(SmtpServerDownCluster cluster) : IClassFixture<SmtpServerDownCluster>
{
    [Fact]
    public async Task With_the_mail_server_down_the_chat_closes_and_the_failure_is_logged()
    {
        var chat = await cluster.NewChat("down-" + Ids.Random(5) + "@example.com");
        var started = DateTime.UtcNow;
        var summary = await chat.Conversation.Close(chat.Me);

        Assert.Equal(ConversationStatus.Closed, summary.Status);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        var line = await cluster.Logs.WaitFor(chat.ConversationId);
        Assert.Contains("connecting to the mail server", line);
        Assert.Contains("transient: True", line);
        Assert.DoesNotContain(chat.Email, line);
        Assert.Equal(ConversationStatus.Closed, (await chat.Conversation.GetSummary())!.Status);
    }
}

/// <summary>A silo wired like the embedded default but with <c>ChatCluster:Mail:Smtp</c> pointing at a loopback server.</summary>
public class SmtpCluster : IAsyncLifetime
{
    public const string Text = "My order 991 never arrived";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> deferred = new();

    /// <summary>Refuses (550) addresses starting <c>refused-</c>; answers <c>busy-</c> addresses 451 the first time only.</summary>
    public SmtpCluster() => Server = new LoopbackSmtpServer
    {
        RefusesRecipient = to => to.StartsWith("refused-", StringComparison.Ordinal),
        DefersRecipient = to => to.StartsWith("busy-", StringComparison.Ordinal) && deferred.TryAdd(to, true),
    };

    public LoopbackSmtpServer Server { get; }

    public CapturedLogs Logs { get; } = new();

    public string OutboxPath { get; } = Path.Combine(Path.GetTempPath(), "smtp-cluster-outbox-" + Guid.NewGuid().ToString("N")[..8]);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    protected virtual int SmtpPort => Server.Port;

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatCluster:Mail:Smtp:Host"] = "127.0.0.1",
            ["ChatCluster:Mail:Smtp:Port"] = SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ChatCluster:Mail:Smtp:Security"] = "None",
            ["ChatCluster:Mail:Smtp:Timeout"] = "00:00:03",
            ["ChatCluster:Mail:OutboxPath"] = OutboxPath,
            // Transcripts that failed transiently are tried again 1 s apart and given up 2.5 s after the first failure: the
            // third try (at about 2 s) is the last, whatever a few hundred milliseconds of reminder lateness.
            ["ChatCluster:Mail:Retry:FirstDelay"] = "00:00:01",
            ["ChatCluster:Mail:Retry:MaximumDelay"] = "00:00:01",
            ["ChatCluster:Mail:Retry:GiveUpAfter"] = "00:00:02.500",
        }).Build();
        var logs = Logs;
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.TryAddSingleton(TimeProvider.System);
            silo.Services.AddSingleton<ILoggerProvider>(logs);
            silo.AddChatClusterInMemoryProviders();
            silo.AddChatMail(configuration);
            silo.AddChatClusterGrainServices(new ChatSiloOptions(), configuration);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
        await Server.DisposeAsync();
    }

    /// <summary>A tenant, a visitor who gave <paramref name="email"/>, and a conversation with one message.</summary>
    public async Task<SmtpChat> NewChat(string email)
    {
        var tenantId = "t-" + Ids.Random(6);
        await Grains.GetGrain<ITenantGrain>(tenantId).Create(new NewTenant("Shop " + tenantId, [],
            new NewAgent("owner@" + tenantId + ".test", "Owner", AgentRole.Owner, "bcrypt-hash-placeholder")));
        var visitorId = Ids.NewVisitorId();
        var visitor = Grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped(tenantId, visitorId));
        await visitor.Register(new ConnectionDetails("203.0.113.7", "SmtpTest/1.0", "https://shop.example/"));
        await visitor.SetContact("Jo", email);
        var me = new Participant(ParticipantKind.Visitor, visitorId, "Jo");
        var conversationId = Ids.NewConversationId();
        var conversation = Grains.GetGrain<IConversationGrain>(GrainKeys.Scoped(tenantId, conversationId));
        await conversation.Start(me, new ConversationContact("Jo", email));
        await visitor.AddConversation(conversationId);
        await conversation.Send(me, "m-1", Text);
        return new SmtpChat(tenantId, visitorId, conversationId, email, conversation, me);
    }
}

/// <summary>The same silo, pointed at a port nothing listens on.</summary>
public sealed class SmtpServerDownCluster : SmtpCluster
{
    private readonly int closedPort = LoopbackSmtpServer.ClosedPort();

    protected override int SmtpPort => closedPort;
}

public sealed record SmtpChat(string TenantId, string VisitorId, string ConversationId, string Email, IConversationGrain Conversation, Participant Me);

/// <summary>Keeps the silo's warnings in memory so a test can read exactly what an operator would see in the log.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly List<string> lines = [];

    public ILogger CreateLogger(string categoryName) => new Capture(this);

    /// <summary>The first warning that mentions <paramref name="text"/>, waiting a few seconds for it.</summary>
    public async Task<string> WaitFor(string text, int seconds = 5)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            lock (lines)
            {
                if (lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line) return line;
            }
            if (DateTime.UtcNow > until) throw new Xunit.Sdk.XunitException($"No warning mentioning {text} was logged within {seconds}s.");
            await Task.Delay(20);
        }
    }

    /// <summary>How many warnings so far mention <paramref name="text"/>.</summary>
    public int Count(string text)
    {
        lock (lines) return lines.Count(l => l.Contains(text, StringComparison.Ordinal));
    }

    public void Dispose()
    {
    }

    private sealed class Capture(CapturedLogs owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var line = formatter(state, exception) + (exception is null ? "" : " | " + exception);
            lock (owner.lines) owner.lines.Add(line);
        }
    }
}
