using ChatCluster.Grains.Privacy;
using ChatCluster.Privacy;
using ChatCluster.Tenants;
using Microsoft.Extensions.Options;

namespace ChatCluster.Grains.Tenants;

public sealed partial class TenantGrain(
    [PersistentState("tenant", StorageNames.Chat)] IPersistentState<TenantState> state,
    TimeProvider time,
    IOptions<RetentionOptions> retention) : Grain, ITenantGrain
{
    private string TenantId => this.GetPrimaryKeyString();

    public async Task<TenantInfo> Create(NewTenant tenant)
    {
        if (state.State.Created) throw ChatRuleException.Conflict($"Tenant '{TenantId}' already exists.");
        if (string.IsNullOrWhiteSpace(tenant.Name)) throw ChatRuleException.Invalid("A tenant needs a name.");
        if (tenant.Owner.Role != AgentRole.Owner) throw ChatRuleException.Invalid("The first team member must be an owner.");

        var now = time.GetUtcNow();
        state.State = new TenantState
        {
            Created = true,
            Name = tenant.Name.Trim(),
            SiteKey = Ids.NewSiteKey(),
            AllowedOrigins = AllowedOrigins.Normalise(tenant.AllowedOrigins),
            CreatedAt = now,
            Generation = Ids.Random(10),
        };
        AddAgentRecord(tenant.Owner, now);
        await GrainFactory.GetGrain<ISiteKeyGrain>(state.State.SiteKey).Bind(TenantId);
        await state.WriteStateAsync();
        return Info();
    }

    public Task<TenantInfo?> GetInfo() => Task.FromResult(state.State.Created ? Info() : null);

    public async Task<TenantInfo> RotateSiteKey()
    {
        EnsureCreated();
        var old = state.State.SiteKey;
        var fresh = Ids.NewSiteKey();
        await GrainFactory.GetGrain<ISiteKeyGrain>(fresh).Bind(TenantId);
        state.State.SiteKey = fresh;
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISiteKeyGrain>(old).Unbind();
        return Info();
    }

    public async Task<TenantInfo> SetAllowedOrigins(IReadOnlyList<string> origins)
    {
        EnsureCreated();
        state.State.AllowedOrigins = AllowedOrigins.Normalise(origins);
        await state.WriteStateAsync();
        return Info();
    }

    public async Task<AgentInfo> AddAgent(NewAgent agent)
    {
        EnsureCreated();
        var added = AddAgentRecord(agent, time.GetUtcNow());
        await state.WriteStateAsync();
        return added.ToInfo();
    }

    public Task<IReadOnlyList<AgentInfo>> ListAgents()
    {
        EnsureCreated();
        IReadOnlyList<AgentInfo> agents = [.. state.State.Agents.Values.OrderBy(a => a.CreatedAt).Select(a => a.ToInfo())];
        return Task.FromResult(agents);
    }

    public Task<AgentInfo?> GetAgent(string agentId) =>
        Task.FromResult(state.State.Agents.TryGetValue(agentId, out var agent) ? agent.ToInfo() : null);

    public Task<AgentCredentials?> FindCredentials(string email)
    {
        var agent = state.State.Agents.Values.FirstOrDefault(a => string.Equals(a.Email, email.Trim(), StringComparison.OrdinalIgnoreCase));
        return Task.FromResult(agent is null ? null : Credentials(agent));
    }

    public Task<AgentCredentials?> GetCredentials(string agentId) =>
        Task.FromResult(state.State.Created && state.State.Agents.TryGetValue(agentId, out var agent) ? Credentials(agent) : null);

    private AgentCredentials Credentials(AgentRecord agent) =>
        new(agent.ToInfo(), agent.PasswordHash, new SessionStamp(state.State.Generation, agent.SecurityStamp));

    private AgentRecord AddAgentRecord(NewAgent agent, DateTimeOffset now)
    {
        var email = agent.Email.Trim();
        if (!EmailAddress.LooksValid(email)) throw ChatRuleException.Invalid($"'{email}' is not an email address.");
        if (string.IsNullOrWhiteSpace(agent.PasswordHash)) throw ChatRuleException.Invalid("A team member needs a password.");
        if (state.State.Agents.Values.Any(a => string.Equals(a.Email, email, StringComparison.OrdinalIgnoreCase)))
            throw ChatRuleException.Conflict($"A team member with email '{email}' already exists.");

        var record = new AgentRecord
        {
            AgentId = Ids.NewAgentId(),
            Email = email,
            DisplayName = string.IsNullOrWhiteSpace(agent.DisplayName) ? email : agent.DisplayName.Trim(),
            Role = agent.Role,
            PasswordHash = agent.PasswordHash,
            CreatedAt = now,
            SecurityStamp = Ids.Random(10),
        };
        state.State.Agents[record.AgentId] = record;
        return record;
    }

    private void EnsureCreated()
    {
        if (!state.State.Created) throw ChatRuleException.NotFound($"Tenant '{TenantId}'");
    }

    private TenantInfo Info() => new(TenantId, state.State.Name, state.State.SiteKey, state.State.AllowedOrigins, state.State.CreatedAt);
}

[GenerateSerializer]
public sealed class TenantState
{
    [Id(0)] public bool Created { get; set; }
    [Id(1)] public string Name { get; set; } = "";
    [Id(2)] public string SiteKey { get; set; } = "";
    [Id(3)] public List<string> AllowedOrigins { get; set; } = [];
    [Id(4)] public Dictionary<string, AgentRecord> Agents { get; set; } = [];
    [Id(5)] public DateTimeOffset CreatedAt { get; set; }
    [Id(6)] public RetentionPolicy? RetentionPolicy { get; set; }
    [Id(7)] public LegalHold? Hold { get; set; }

    /// <summary>Random, new on every creation: tokens of a purged tenant whose id was reused carry another one (T2).</summary>
    [Id(8)] public string Generation { get; set; } = "";

    /// <summary>Every team member must log in with TOTP (T2). Ids from 20 on: login and assignment settings.</summary>
    [Id(20)] public bool RequireMfa { get; set; }

    /// <summary>Transcript addresses get a confirmation code first; the transcript only once it is entered (issue 15).</summary>
    [Id(21)] public bool ConfirmTranscriptEmail { get; set; }

    /// <summary>Account closure (R3): when the tenant was closed and when its data is purged. Ids from 30 on.</summary>
    [Id(30)] public DateTimeOffset? ClosedAt { get; set; }
    [Id(31)] public DateTimeOffset? PurgeAt { get; set; }

    /// <summary>When the purge began (recorded before its first deletion, so a crash resumes it).</summary>
    [Id(32)] public DateTimeOffset? PurgeStartedAt { get; set; }

    /// <summary>What the purge kept because it is held (R4), by pseudonymous id; the purge finishes when they are lifted.</summary>
    [Id(33)] public List<string> HeldSubjects { get; set; } = [];

    [Id(34)] public PurgeCounts Purged { get; set; } = new();
}

[GenerateSerializer]
public sealed class AgentRecord
{
    [Id(0)] public string AgentId { get; set; } = "";
    [Id(1)] public string Email { get; set; } = "";
    [Id(2)] public string DisplayName { get; set; } = "";
    [Id(3)] public AgentRole Role { get; set; }
    [Id(4)] public string PasswordHash { get; set; } = "";
    [Id(5)] public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Renewed whenever the member's role, password or second factor changes: older tokens stop working (T2).</summary>
    [Id(6)] public string SecurityStamp { get; set; } = "";

    public AgentInfo ToInfo() => new(AgentId, Email, DisplayName, Role, CreatedAt);
}
