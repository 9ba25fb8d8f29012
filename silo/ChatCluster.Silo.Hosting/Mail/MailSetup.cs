using ChatCluster.Grains.Mail;
using ChatCluster.Silo.Hosting.Encryption;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Hosting;

namespace ChatCluster.Silo.Hosting.Mail;

/// <summary>
/// Wires mail (W5, R6): SMTP when <c>ChatCluster:Mail:Smtp:Host</c> is set, the outbox folder otherwise; the retry of
/// transcripts that failed transiently (<c>ChatCluster:Mail:Retry</c>); the daily transcript limits
/// (<c>ChatCluster:Mail:TranscriptLimits</c>).
/// </summary>
public static class MailSetup
{
    /// <param name="outboxDatabase">
    /// Cluster mode's database: without SMTP, mail is kept there, sealed, where every silo reaches it (R1, R6, S1);
    /// null for the embedded default's outbox folder.
    /// </param>
    public static ISiloBuilder AddChatMail(this ISiloBuilder silo, IConfiguration configuration, string? outboxDatabase = null)
    {
        var options = ValidatedSection.Read<MailOptions>(configuration, MailOptions.Section, o => o.Problems());

        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton(Options.Create(options.Retry));
        silo.Services.AddSingleton(Options.Create(options.TranscriptLimits));
        silo.Services.AddMetrics();
        silo.Services.AddSingleton<MailMetrics>();
        silo.Services.AddSingleton<ITranscriptRetryMetrics>(sp => sp.GetRequiredService<MailMetrics>());
        if (options.Retry.FirstDelay < TimeSpan.FromMinutes(1))
        {
            // Retry reminders wait FirstDelay at first; Orleans refuses periods under its minimum (one minute by default).
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = Min(o.MinimumReminderPeriod, options.Retry.FirstDelay));
        }
        if (options.Smtp.Host is { Length: > 0 })
        {
            silo.Services.AddSingleton<SmtpMailSender>();
            silo.Services.AddSingleton<IMailSender>(sp => new MeteredMailSender(sp.GetRequiredService<SmtpMailSender>(), sp.GetRequiredService<MailMetrics>()));
        }
        else if (outboxDatabase is not null)
        {
            // Mail is rare and each send is one INSERT: it shares the message log's pool (as the audit log and the webhook
            // queue do), so it is inside the silo's connection budget (issue 12) instead of a pool of its own beside it.
            silo.Services.AddSingleton(sp => new PostgresOutbox(sp.GetRequiredKeyedService<NpgsqlDataSource>(PostgresBackbone.MessageLogPool),
                sp.GetRequiredService<PersonalDataCipher>(), options, sp.GetRequiredService<TimeProvider>()));
            silo.Services.AddSingleton<IOutboxSweep>(sp => sp.GetRequiredService<PostgresOutbox>());
            silo.Services.AddSingleton<IMailSender>(sp => new MeteredMailSender(sp.GetRequiredService<PostgresOutbox>(), sp.GetRequiredService<MailMetrics>()));
            silo.Services.AddHostedService<OutboxSweeper>();
        }
        else
        {
            silo.Services.AddSingleton<OutboxMailSender>();
            silo.Services.AddSingleton<IOutboxSweep>(sp => sp.GetRequiredService<OutboxMailSender>());
            silo.Services.AddSingleton<IMailSender>(sp => new MeteredMailSender(sp.GetRequiredService<OutboxMailSender>(), sp.GetRequiredService<MailMetrics>()));
            silo.Services.AddHostedService<OutboxSweeper>();
        }
        return silo;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}

/// <summary>R6: every <see cref="MailOptions.SweepInterval"/>, deletes outbox mail older than <see cref="MailOptions.KeepFor"/>.</summary>
public sealed class OutboxSweeper(IOutboxSweep outbox, MailOptions options, TimeProvider time, ILogger<OutboxSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval, time);
        do
        {
            try
            {
                await outbox.Sweep();
            }
            catch (IOException)
            {
                // A file in use or a folder removed by a concurrent purge; the next sweep tries again.
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                // The database is unavailable (or not migrated yet): the next sweep tries again.
                logger.LogWarning("The outbox sweep failed ({ErrorType}); it runs again in {Interval}", ex.GetType().Name, options.SweepInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
