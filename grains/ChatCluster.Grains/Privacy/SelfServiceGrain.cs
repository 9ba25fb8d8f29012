using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ChatCluster.Grains.Mail;
using ChatCluster.Privacy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// One tenant's email address, by keyed hash (R5 self-service): the visitors who gave it, the one-time code mailed to
/// it, the token its owner gets for the code, and when codes were asked for. Codes and tokens are stored hashed; the
/// address itself is never stored. The limits come from <see cref="SelfServiceOptions"/>.
/// </summary>
public sealed class SelfServiceGrain(
    [PersistentState("self-service", StorageNames.Chat)] IPersistentState<SelfServiceState> state,
    IOptions<SelfServiceOptions> options,
    EmailIndexKey emailIndex,
    TimeProvider time,
    ILogger<SelfServiceGrain> logger) : Grain, ISelfServiceGrain, IRemindable
{
    /// <summary>Clears the request times of an address no visitor gave, once its window has passed.</summary>
    public const string RateWindowReminder = "self-service-rate-window";

    private const string NotAccepted = "The code is wrong, expired or was used already; ask for a new one.";

    private readonly SelfServiceOptions limits = options.Value;

    private (string TenantId, string LocalId) Key => GrainKeys.Split(this.GetPrimaryKeyString());

    public async Task Index(string visitorId)
    {
        if (state.State.VisitorIds.Contains(visitorId)) return;
        state.State.VisitorIds.Add(visitorId);
        await state.WriteStateAsync();
        Listed();
    }

    public async Task Unindex(string visitorId)
    {
        if (!state.State.VisitorIds.Remove(visitorId)) return;
        if (state.State.VisitorIds.Count == 0)
        {
            // Nothing is held about the address any more: forget the code, the token and the mailed code too.
            await Forget();
            return;
        }
        await state.WriteStateAsync();
    }

    /// <summary>
    /// The request times are stored, so a deactivation or a silo restart does not reset the limit. For an address no
    /// visitor gave, they are all the row holds, and a reminder deletes it when the window has passed.
    /// </summary>
    public async Task RequestCode(string email)
    {
        email = email?.Trim() ?? "";
        if (!EmailAddress.LooksValid(email)) throw ChatRuleException.Invalid("email is not an email address.");
        if (emailIndex.LocalId(Key.TenantId, email) != Key.LocalId) throw ChatRuleException.Invalid("The address does not belong to this key.");
        var now = time.GetUtcNow();
        var requests = state.State.CodeRequests;
        requests.RemoveAll(at => at <= now - limits.RateWindow);
        if (requests.Count >= limits.MaxCodeRequests)
            throw new ChatRuleException(ErrorCodes.RateLimited,
                $"At most {limits.MaxCodeRequests} codes per address every {SelfServiceOptions.Describe(limits.RateWindow)}; try again later.");
        requests.Add(now);
        if (state.State.VisitorIds.Count == 0)
        {
            await state.WriteStateAsync();
            Listed();
            await this.RegisterOrUpdateReminder(RateWindowReminder, limits.RateWindow, limits.RateWindow);
            return;
        }

        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        state.State.CodeHash = Hash(code);
        state.State.CodeExpiresAt = now + limits.CodeLifetime;
        state.State.Attempts = 0;
        await state.WriteStateAsync();
        // Queued, not awaited (issue 15): an answer that waited for the mail server would take longer for a known
        // address than for an unknown one, and so tell which addresses the site knows.
        _ = MailCode(email, code);
    }

    private async Task MailCode(string email, string code)
    {
        try
        {
            if (ServiceProvider.GetService<IMailSender>() is { } mail) await mail.Send(CodeMail(email, code));
        }
        catch (Exception ex)
        {
            // Nobody waits for this send; the visitor simply asks again.
            logger.LogWarning("A verification code was not mailed: {Reason}", ex.Message);
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != RateWindowReminder) return;
        var now = time.GetUtcNow();
        state.State.CodeRequests.RemoveAll(at => at <= now - limits.RateWindow);
        if (state.State.CodeRequests.Count > 0) return; // still counting; the next tick looks again
        if (await this.GetReminder(RateWindowReminder) is { } reminder) await this.UnregisterReminder(reminder);
        if (!state.RecordExists) return;
        if (state.State.VisitorIds.Count == 0 && state.State.CodeHash is null && state.State.TokenHash is null) await Forget();
        else await state.WriteStateAsync();
    }

    public Task Purge(IReadOnlyList<string> heldVisitors) =>
        state.State.VisitorIds.Any(heldVisitors.Contains) ? Task.CompletedTask : Forget();

    /// <summary>Deletes the row, the rate-window reminder and any mailed code, and takes the record off the tenant's list.</summary>
    private async Task Forget()
    {
        if (await this.GetReminder(RateWindowReminder) is { } reminder) await this.UnregisterReminder(reminder);
        if (state.RecordExists) await state.ClearStateAsync();
        else state.State = new SelfServiceState();
        if (ServiceProvider.GetService<IMailSender>() is { } mail) await mail.Purge(Key.TenantId, Key.LocalId);
        _ = Registry.Remove(new RetainedSubject(RetainedKind.SelfServiceRecord, Key.LocalId));
    }

    /// <summary>On the tenant's list from the first write, so account closure finds records no visitor points to.</summary>
    private void Listed() => _ = Registry.Add(new RetainedSubject(RetainedKind.SelfServiceRecord, Key.LocalId));

    private IRetentionRegistryGrain Registry => GrainFactory.GetGrain<IRetentionRegistryGrain>(Key.TenantId);

    public async Task<SelfServiceToken> Confirm(string code)
    {
        var now = time.GetUtcNow();
        // One answer for an unknown address, a wrong, used or expired code (issue 15): only a known address can
        // have an expired code, so a separate answer for it would tell that the site knows the address.
        if (state.State.CodeHash is null || state.State.Attempts >= limits.MaxAttempts)
            throw new ChatRuleException(ErrorCodes.InvalidCode, NotAccepted);
        if (now >= state.State.CodeExpiresAt)
        {
            state.State.CodeHash = null;
            await state.WriteStateAsync();
            throw new ChatRuleException(ErrorCodes.InvalidCode, NotAccepted);
        }
        if (code is null || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(state.State.CodeHash), Convert.FromHexString(Hash(code.Trim()))))
        {
            state.State.Attempts++;
            if (state.State.Attempts >= limits.MaxAttempts) state.State.CodeHash = null;
            await state.WriteStateAsync();
            throw new ChatRuleException(ErrorCodes.InvalidCode, NotAccepted);
        }
        var secret = Ids.Random(20);
        state.State.CodeHash = null;
        state.State.TokenHash = Hash(secret);
        state.State.TokenExpiresAt = now + limits.TokenLifetime;
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
        body.AppendLine(CultureInfo.InvariantCulture, $"your verification code is {code}. It is valid for {SelfServiceOptions.Describe(limits.CodeLifetime)}.");
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

    /// <summary>When codes were asked for within the current window (the rate limit); no address, no code.</summary>
    [Id(6)] public List<DateTimeOffset> CodeRequests { get; set; } = [];
}
