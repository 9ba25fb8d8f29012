using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ChatCluster.Grains.Mail;
using ChatCluster.Privacy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// One tenant's email address, by salted hash (R5 self-service): the visitors who gave it, the one-time code mailed to
/// it and the token its owner gets for the code. Codes and tokens are stored hashed; the address itself is never stored.
/// </summary>
public sealed class SelfServiceGrain(
    [PersistentState("self-service", StorageNames.Chat)] IPersistentState<SelfServiceState> state,
    TimeProvider time,
    ILogger<SelfServiceGrain> logger) : Grain, ISelfServiceGrain
{
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(15);
    public const int MaxCodeRequests = 3;
    public const int MaxAttempts = 5;

    /// <summary>Requests in the current window; kept in memory only, so an unknown address leaves no row behind.</summary>
    private readonly List<DateTimeOffset> requests = [];

    private (string TenantId, string LocalId) Key => GrainKeys.Split(this.GetPrimaryKeyString());

    public async Task Index(string visitorId)
    {
        if (state.State.VisitorIds.Contains(visitorId)) return;
        state.State.VisitorIds.Add(visitorId);
        await state.WriteStateAsync();
    }

    public async Task Unindex(string visitorId)
    {
        if (!state.State.VisitorIds.Remove(visitorId)) return;
        if (state.State.VisitorIds.Count == 0)
        {
            // Nothing is held about the address any more: forget the code, the token and the mailed code too.
            await state.ClearStateAsync();
            if (ServiceProvider.GetService<IMailSender>() is { } mail) await mail.Purge(Key.TenantId, Key.LocalId);
            return;
        }
        await state.WriteStateAsync();
    }

    public async Task RequestCode(string email)
    {
        email = email?.Trim() ?? "";
        if (!EmailAddress.LooksValid(email)) throw ChatRuleException.Invalid("email is not an email address.");
        if (EmailKeys.LocalId(Key.TenantId, email) != Key.LocalId) throw ChatRuleException.Invalid("The address does not belong to this key.");
        var now = time.GetUtcNow();
        requests.RemoveAll(at => at <= now - RateWindow);
        if (requests.Count >= MaxCodeRequests)
            throw new ChatRuleException(ErrorCodes.RateLimited, $"At most {MaxCodeRequests} codes per address every {RateWindow.TotalMinutes:0} minutes; try again later.");
        requests.Add(now);
        if (state.State.VisitorIds.Count == 0) return;

        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        state.State.CodeHash = Hash(code);
        state.State.CodeExpiresAt = now + CodeLifetime;
        state.State.Attempts = 0;
        await state.WriteStateAsync();
        var mail = ServiceProvider.GetService<IMailSender>();
        try
        {
            if (mail is not null) await mail.Send(CodeMail(email, code));
        }
        catch (MailDeliveryException ex)
        {
            // Answering with an error here would tell the caller the address is known; the visitor simply asks again.
            logger.LogWarning("A verification code was not mailed: {Reason}", ex.Message);
        }
    }

    public async Task<SelfServiceToken> Confirm(string code)
    {
        var now = time.GetUtcNow();
        if (state.State.CodeHash is null || state.State.Attempts >= MaxAttempts)
            throw new ChatRuleException(ErrorCodes.InvalidCode, "The code is wrong or was used already; ask for a new one.");
        if (now >= state.State.CodeExpiresAt)
        {
            state.State.CodeHash = null;
            await state.WriteStateAsync();
            throw new ChatRuleException(ErrorCodes.CodeExpired, "The code has expired; ask for a new one.");
        }
        if (code is null || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(state.State.CodeHash), Convert.FromHexString(Hash(code.Trim()))))
        {
            state.State.Attempts++;
            if (state.State.Attempts >= MaxAttempts) state.State.CodeHash = null;
            await state.WriteStateAsync();
            throw new ChatRuleException(ErrorCodes.InvalidCode, "The code is wrong or was used already; ask for a new one.");
        }
        var secret = Ids.Random(20);
        state.State.CodeHash = null;
        state.State.TokenHash = Hash(secret);
        state.State.TokenExpiresAt = now + TokenLifetime;
        await state.WriteStateAsync();
        return new SelfServiceToken(secret, state.State.TokenExpiresAt);
    }

    public Task<IReadOnlyList<string>> Authorize(string tokenSecret)
    {
        if (state.State.TokenHash is null || time.GetUtcNow() >= state.State.TokenExpiresAt || string.IsNullOrEmpty(tokenSecret)
            || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(state.State.TokenHash), Convert.FromHexString(Hash(tokenSecret))))
            throw new ChatRuleException(ErrorCodes.InvalidToken, "The self-service token is wrong or has expired; ask for a new code.");
        return Task.FromResult<IReadOnlyList<string>>([.. state.State.VisitorIds]);
    }

    private OutgoingMail CodeMail(string email, string code)
    {
        var body = new StringBuilder();
        body.AppendLine("Hello,");
        body.AppendLine();
        body.AppendLine(CultureInfo.InvariantCulture, $"your verification code is {code}. It is valid for {CodeLifetime.TotalMinutes:0} minutes.");
        body.AppendLine("Enter it to see, download or delete the data held about you. If you did not ask for it, ignore this mail.");
        return new OutgoingMail(Key.TenantId, Key.LocalId, email, null, "Your verification code", body.ToString());
    }

    private static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}

[GenerateSerializer]
public sealed class SelfServiceState
{
    [Id(0)] public List<string> VisitorIds { get; set; } = [];
    [Id(1)] public string? CodeHash { get; set; }
    [Id(2)] public DateTimeOffset CodeExpiresAt { get; set; }
    [Id(3)] public int Attempts { get; set; }
    [Id(4)] public string? TokenHash { get; set; }
    [Id(5)] public DateTimeOffset TokenExpiresAt { get; set; }
}
