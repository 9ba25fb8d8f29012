using ChatCluster.Grains.Privacy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace ChatCluster.Silo.Hosting.Encryption;

/// <summary>
/// Reads <c>ChatCluster:Privacy:EmailIndexKey</c>, the secret of the email index's keyed hash (R5 self-service). It
/// mirrors the key ring (<see cref="EncryptionSetup"/>): optional and ephemeral in the in-memory embedded default,
/// required with PostgreSQL, where the index outlives the process and every silo must file an address in one place.
/// </summary>
public static class EmailIndexKeySetup
{
    public const string Section = "ChatCluster:Privacy";
    public const string EmailIndexKeyKey = Section + ":EmailIndexKey";

    public static ISiloBuilder AddChatEmailIndexKey(this ISiloBuilder silo, IConfiguration configuration, bool required)
    {
        silo.Services.TryAddSingleton(configuration.ReadEmailIndexKey(required));
        silo.Services.AddHostedService<EphemeralEmailIndexKeyNotice>();
        return silo;
    }

    public static EmailIndexKey ReadEmailIndexKey(this IConfiguration configuration, bool required)
    {
        var value = configuration[EmailIndexKeyKey];
        if (string.IsNullOrWhiteSpace(value))
        {
            if (!required) return EmailIndexKey.Ephemeral();
            throw Invalid($"{EmailIndexKeyKey} is required when {ChatSiloOptions.Section}:Storage is Postgres: the email index files " +
                "addresses under a keyed hash that must survive restarts and be the same on every silo. Give base64 of at least " +
                $"{EmailIndexKey.MinimumKeyBytes} random bytes, e.g. ChatCluster__Privacy__EmailIndexKey=$(openssl rand -base64 32).");
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(value.Trim());
        }
        catch (FormatException)
        {
            throw Invalid($"{EmailIndexKeyKey} is not base64; expected at least {EmailIndexKey.MinimumKeyBytes} random bytes in base64 (openssl rand -base64 32).");
        }
        if (bytes.Length < EmailIndexKey.MinimumKeyBytes)
            throw Invalid($"{EmailIndexKeyKey} is {bytes.Length} bytes; it must be at least {EmailIndexKey.MinimumKeyBytes} (openssl rand -base64 32).");
        return new EmailIndexKey(bytes);
    }

    private static OptionsValidationException Invalid(string message) => new(EmailIndexKeyKey, typeof(EmailIndexKey), [message]);
}

/// <summary>Says at start that the email index key is made up for this process, so nobody mistakes it for a kept one.</summary>
internal sealed class EphemeralEmailIndexKeyNotice(EmailIndexKey key, ILogger<EphemeralEmailIndexKeyNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (key.IsEphemeral)
            logger.LogInformation("{Setting} is not set: the email index uses a random key for this process only (fine for the in-memory store, which dies with it too).",
                EmailIndexKeySetup.EmailIndexKeyKey);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
