using ChatCluster.Conversations;
using ChatCluster.Grains;
using ChatCluster.Grains.Conversations;
using ChatCluster.Grains.Privacy;
using ChatCluster.Privacy;
using ChatCluster.Silo.Hosting;
using ChatCluster.Tenants;
using ChatCluster.Visitors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Reminders;
using Orleans.Storage;
using Orleans.TestingHost;

namespace ChatCluster.Grains.Tests;

/// <summary>
/// One in-process silo on the embedded default's providers, whose grains read a <see cref="FakeTimeProvider"/>:
/// a test moves the business clock a year ahead in one call. Orleans' own machinery (reminder timers,
/// membership, messaging) stays on real time, and the retention-check reminder ticks every second, so a
/// 12-month rule is enforced within a second or two of real time after the jump.
/// </summary>
public sealed class RetentionCluster : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Time { get; } = new(Start);

    /// <summary>The silo's message log; a test can make a conversation's deletion fail, as with a database that is down.</summary>
    public FlakyConversationLog Log { get; } = new();

    /// <summary>Every mail the grains sent (transcripts, verification codes), in order.</summary>
    public RecordingMailSender Mail { get; } = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public IServiceProvider Silo => Cluster.Silos[0].ServiceProvider;

    /// <summary>The silo's email index key (random for this in-memory silo), to find an address's index record.</summary>
    public EmailIndexKey EmailIndex => Silo.GetRequiredService<EmailIndexKey>();

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatCluster:Retention:MinimumPeriod"] = "00:00:01",
            ["ChatCluster:Retention:CheckInterval"] = "00:00:01",
            // Self-service limits other than the defaults, so tests show the configured values are the ones enforced.
            ["ChatCluster:SelfService:CodeLifetime"] = "00:10:00",
            ["ChatCluster:SelfService:MaxAttempts"] = "3",
            ["ChatCluster:SelfService:MaxCodeRequests"] = "4",
            ["ChatCluster:SelfService:RateWindow"] = "00:30:00",
            ["ChatCluster:SelfService:TokenLifetime"] = "00:05:00",
        }).Build();
        var time = Time;
        var mail = Mail;
        var log = Log;
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<TimeProvider>(time);
            silo.Services.AddSingleton<Mail.IMailSender>(mail);
            silo.Services.AddSingleton<IConversationLog>(log);
            foreach (var area in (string[])[
                Orleans.Runtime.TimeProviderNames.Messaging, Orleans.Runtime.TimeProviderNames.SystemTimers,
                Orleans.Runtime.TimeProviderNames.Membership, Orleans.Runtime.TimeProviderNames.ActivationManagement,
                Orleans.Runtime.TimeProviderNames.GrainDirectory, ReminderTimeProviderNames.Reminders, "Orleans.Streaming"])
            {
                silo.Services.AddKeyedSingleton(area, TimeProvider.System);
            }
            silo.AddChatClusterInMemoryProviders();
            silo.AddChatClusterGrainServices(new ChatSiloOptions(), configuration);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null) await Cluster.DisposeAsync();
    }

    /// <summary>A fresh tenant, so tests never see each other's data.</summary>
    public async Task<string> NewTenant(RetentionPolicy? policy = null)
    {
        var tenantId = "t-" + Ids.Random(6);
        await Grains.GetGrain<ITenantGrain>(tenantId).Create(new NewTenant("Shop " + tenantId, [],
            new NewAgent("owner@" + tenantId + ".test", "Owner", AgentRole.Owner, "bcrypt-hash-placeholder")));
        if (policy is not null) await Grains.GetGrain<ITenantGrain>(tenantId).SetRetentionPolicy(policy, AuditEntry.Agent("a_owner"));
        return tenantId;
    }

    /// <summary>A visitor with every kind of personal data, and one conversation with a message in it.</summary>
    public async Task<Chat> NewChat(string tenantId, string? visitorId = null)
    {
        visitorId ??= Ids.NewVisitorId();
        var visitor = Grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped(tenantId, visitorId));
        if (await visitor.GetProfile() is null)
        {
            await visitor.Register(new ConnectionDetails(Chat.Ip, Chat.UserAgent, Chat.PageUrl));
            await visitor.SetContact(Chat.Name, Chat.Email);
        }
        var me = new Participant(ParticipantKind.Visitor, visitorId, Chat.Name);
        var conversationId = Ids.NewConversationId();
        var conversation = Grains.GetGrain<IConversationGrain>(GrainKeys.Scoped(tenantId, conversationId));
        await conversation.Start(me, new ConversationContact(Chat.Name, Chat.Email));
        await visitor.AddConversation(conversationId);
        await conversation.Send(me, "m-1", Chat.Text);
        return new Chat(tenantId, visitorId, conversationId, visitor, conversation, me);
    }

    public Task<IReadOnlyList<ChatMessage>> StoredMessages(string tenantId, string conversationId) =>
        Silo.GetRequiredService<IConversationLog>().ReadAll(GrainKeys.Scoped(tenantId, conversationId));

    /// <summary>Reads a grain's row straight from the silo's "chat" storage, past any activation.</summary>
    public async Task<(bool Exists, T State)> StoredState<T>(IAddressable grain, string stateName) where T : new()
    {
        var storage = Silo.GetRequiredKeyedService<IGrainStorage>(StorageNames.Chat);
        var state = new GrainState<T>(new T());
        await storage.ReadStateAsync(stateName, grain.GetGrainId(), state);
        return (state.RecordExists, state.State!);
    }

    public async Task<DailyStats> Stats(string tenantId, DateTimeOffset day) =>
        await Grains.GetGrain<IDailyStatsGrain>(DayKeys.For(tenantId, day)).Get();

    public async Task<IReadOnlyList<AuditEntry>> Audit(string tenantId, DateTimeOffset day) =>
        await Grains.GetGrain<IAuditLogGrain>(DayKeys.For(tenantId, day)).List();

    /// <summary>Waits (in real time) until <paramref name="condition"/> holds: reminders tick every second.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new Xunit.Sdk.XunitException($"Timed out after {seconds}s waiting until {what}.");
            await Task.Delay(100);
        }
    }
}

public sealed record Chat(string TenantId, string VisitorId, string ConversationId, IVisitorGrain Visitor, IConversationGrain Conversation, Participant Me)
{
    public const string Name = "Joanna Tester";
    public const string Email = "joanna@example.com";
    public const string Ip = "203.0.113.77";
    public const string UserAgent = "Mozilla/5.0 (RetentionTest)";
    public const string PageUrl = "https://shop.example/checkout?order=991";
    public const string Text = "My order 991 never arrived, call me on 07700 900123";

    /// <summary>R7: the audit log names subjects by id only; none of this chat's personal data may appear in it.</summary>
    public static void AssertNoPersonalData(IEnumerable<AuditEntry> audit)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(audit);
        foreach (var personal in (string[])[Name, Email, Ip, UserAgent, PageUrl, Text, "joanna"])
            Assert.DoesNotContain(personal, json, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>The in-memory message log, except that deleting a conversation named by <see cref="FailDeletes"/> throws.</summary>
public sealed class FlakyConversationLog : IConversationLog
{
    private readonly InMemoryConversationLog inner = new();
    private readonly HashSet<string> failing = [];

    public void FailDeletes(string conversationKey, bool fail = true)
    {
        lock (failing)
        {
            if (fail) failing.Add(conversationKey);
            else failing.Remove(conversationKey);
        }
    }

    public Task Append(string conversationKey, ChatMessage message) => inner.Append(conversationKey, message);

    public Task<IReadOnlyList<ChatMessage>> ReadAll(string conversationKey) => inner.ReadAll(conversationKey);

    public Task Delete(string conversationKey)
    {
        lock (failing)
        {
            if (failing.Contains(conversationKey)) throw new InvalidOperationException("The message log is unavailable (test).");
        }
        return inner.Delete(conversationKey);
    }
}
