using ChatCluster.Grains.Mail;
using ChatCluster.Silo.Hosting.Mail;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace ChatCluster.Grains.Tests;

/// <summary>The <c>ChatCluster:Mail:Retry</c> settings: the back-off they describe and the start-up check that names a bad one.</summary>
public sealed class MailRetryOptionsTests
{
    [Fact]
    public void By_default_a_failed_transcript_is_retried_after_1_4_16_minutes_then_hourly_for_a_day()
    {
        var retry = new MailRetryOptions();

        Assert.Equal([1, 4, 16, 60, 60, 60], Enumerable.Range(1, 6).Select(n => retry.DelayAfter(n).TotalMinutes));
        Assert.Equal(TimeSpan.FromHours(24), retry.GiveUpAfter);
        Assert.Empty(new MailOptions().Problems());
    }

    [Fact]
    public void Retry_settings_out_of_range_are_refused_by_name()
    {
        var problems = new MailOptions
        {
            Retry = new MailRetryOptions { FirstDelay = TimeSpan.Zero, MaximumDelay = TimeSpan.FromDays(2), GiveUpAfter = TimeSpan.FromDays(30) },
        }.Problems().ToList();

        foreach (var setting in (string[])["FirstDelay", "MaximumDelay", "GiveUpAfter"])
            Assert.Contains(problems, p => p.StartsWith($"ChatCluster:Mail:Retry:{setting} must", StringComparison.Ordinal));
        Assert.Contains(new MailOptions { Retry = new MailRetryOptions { FirstDelay = TimeSpan.FromHours(2) } }.Problems(),
            p => p.StartsWith("ChatCluster:Mail:Retry:MaximumDelay", StringComparison.Ordinal));
    }

    [Fact]
    public void A_silo_with_a_bad_mail_retry_setting_refuses_to_start_and_names_the_setting()
    {
        var outOfRange = Settings(("ChatCluster:Mail:Retry:GiveUpAfter", "-00:01:00"));
        var error = Assert.Throws<OptionsValidationException>(() => new SiloBuilderProbe().AddChatMail(outOfRange));
        Assert.Contains("ChatCluster:Mail:Retry:GiveUpAfter", error.Message);

        var unparsable = Settings(("ChatCluster:Mail:Retry:FirstDelay", "a minute or so"));
        Assert.Contains("ChatCluster:Mail", Assert.Throws<OptionsValidationException>(() => new SiloBuilderProbe().AddChatMail(unparsable)).Message);
    }

    [Fact]
    public void Second_scale_retries_lower_the_reminder_minimum_so_orleans_accepts_their_period()
    {
        var silo = new SiloBuilderProbe();
        silo.AddChatMail(Settings(("ChatCluster:Mail:Retry:FirstDelay", "00:00:02"), ("ChatCluster:Mail:OutboxPath", Path.GetTempPath())));
        using var services = silo.Services.BuildServiceProvider();

        Assert.Equal(TimeSpan.FromSeconds(2), services.GetRequiredService<IOptions<ReminderOptions>>().Value.MinimumReminderPeriod);
        Assert.Equal(TimeSpan.FromSeconds(2), services.GetRequiredService<IOptions<MailRetryOptions>>().Value.FirstDelay);
    }

    private static IConfiguration Settings(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
}
