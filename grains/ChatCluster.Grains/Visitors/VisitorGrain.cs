using System.Security.Cryptography;
using System.Text;
using ChatCluster.Conversations;
using ChatCluster.Grains.Privacy;
using ChatCluster.Tenants;
using ChatCluster.Visitors;

namespace ChatCluster.Grains.Visitors;

public sealed partial class VisitorGrain(
    [PersistentState("visitor", StorageNames.Chat)] IPersistentState<VisitorState> state,
    TimeProvider time,
    RetentionClock retention,
    EmailIndexKey emailIndex) : Grain, IVisitorGrain, IRemindable
{
    public const int MaxNameLength = 100;

    private string VisitorId => GrainKeys.Split(this.GetPrimaryKeyString()).LocalId;

    private string TenantId => GrainKeys.Split(this.GetPrimaryKeyString()).TenantId;

    public async Task<string> Register(ConnectionDetails connection)
    {
        if (state.State.Registered || state.State.ErasedAt is not null) throw ChatRuleException.Conflict("This visitor is already registered.");
        var secret = Ids.Random(20);
        var now = time.GetUtcNow();
        state.State = new VisitorState
        {
            Registered = true,
            TokenHash = Hash(secret),
            LastConnection = connection,
            FirstSeenAt = now,
            LastSeenAt = now,
        };
        state.State.Retention.Adopt(await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetRetentionRules());
        await state.WriteStateAsync();
        await StartRetention();
        return secret;
    }

    public async Task<bool> Authenticate(string tokenSecret, ConnectionDetails connection)
    {
        if (!state.State.Registered) return false;
        var expected = Convert.FromHexString(state.State.TokenHash);
        var actual = Convert.FromHexString(Hash(tokenSecret));
        if (!CryptographicOperations.FixedTimeEquals(expected, actual)) return false;
        await Seen(connection);
        return true;
    }

    public async Task<bool> Vouched(ConnectionDetails connection)
    {
        if (!state.State.Registered || state.State.ErasedAt is not null) return false;
        await Seen(connection);
        return true;
    }

    private async Task Seen(ConnectionDetails connection)
    {
        state.State.LastConnection = connection;
        state.State.LastSeenAt = time.GetUtcNow();
        await state.WriteStateAsync();
    }

    public Task<VisitorProfile?> GetProfile() => Task.FromResult(state.State.Registered ? Profile() : null);

    public async Task<VisitorProfile> SetContact(string? name, string? email)
    {
        EnsureRegistered();
        name = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        email = string.IsNullOrWhiteSpace(email) ? null : email.Trim();
        if (name is { Length: > MaxNameLength }) throw ChatRuleException.Invalid($"A name is at most {MaxNameLength} characters.");
        if (email is not null && !EmailAddress.LooksValid(email)) throw ChatRuleException.Invalid($"'{email}' is not an email address.");

        var before = state.State.Email;
        state.State.Name = name ?? state.State.Name;
        state.State.Email = email ?? state.State.Email;
        await state.WriteStateAsync();
        await Reindex(before, state.State.Email);
        return Profile();
    }

    public async Task AddConversation(string conversationId)
    {
        EnsureRegistered();
        if (state.State.ConversationIds.Contains(conversationId)) return;
        state.State.ConversationIds.Add(conversationId);
        await state.WriteStateAsync();
        // Restricted between the conversation's start and now: the conversation asked before the flag was set.
        if (state.State.ProcessingRestricted || state.State.ProcessingObjected)
            await GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, conversationId)).SetProcessingRestricted(true);
        if (state.State.Retention.Hold is not null)
        {
            await GrainFactory.GetGrain<IConversationGrain>(GrainKeys.Scoped(TenantId, conversationId))
                .SetVisitorHold(true, await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetRetentionRules());
        }
    }

    private void EnsureRegistered()
    {
        if (!state.State.Registered) throw ChatRuleException.NotFound("Visitor");
    }

    private VisitorProfile Profile() => new(
        VisitorId, state.State.Name, state.State.Email, state.State.LastConnection,
        [.. state.State.ConversationIds], state.State.FirstSeenAt, state.State.LastSeenAt);

    private static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}

[GenerateSerializer]
public sealed class VisitorState
{
    [Id(0)] public bool Registered { get; set; }
    [Id(1)] public string TokenHash { get; set; } = "";
    [Id(2)] public string? Name { get; set; }
    [Id(3)] public string? Email { get; set; }
    [Id(4)] public ConnectionDetails LastConnection { get; set; } = new(null, null, null);
    [Id(5)] public List<string> ConversationIds { get; set; } = [];
    [Id(6)] public DateTimeOffset FirstSeenAt { get; set; }
    [Id(7)] public DateTimeOffset LastSeenAt { get; set; }
    [Id(8)] public RetentionState Retention { get; set; } = new();

    /// <summary>Set by erasure (R5); the state then holds nothing else, so a repeated erasure is recognised.</summary>
    [Id(9)] public DateTimeOffset? ErasedAt { get; set; }

    /// <summary>Restriction of processing and objection (R5); die with the rest of the state.</summary>
    [Id(10)] public bool ProcessingRestricted { get; set; }
    [Id(11)] public bool ProcessingObjected { get; set; }
}
