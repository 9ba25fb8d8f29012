using ChatCluster.Privacy;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// What a holder of personal data remembers about retention, stored inside its own state so it dies with it.
/// The deadline is not stored: it is always <c>last activity + Period</c>, so new activity extends it for free.
/// </summary>
[GenerateSerializer]
public sealed class RetentionState
{
    [Id(0)] public TimeSpan Period { get; set; } = RetentionPolicy.DefaultPeriod;
    [Id(1)] public bool KeepRedactedEmail { get; set; }
    [Id(2)] public LegalHold? Hold { get; set; }
    [Id(3)] public bool UnderTenantHold { get; set; }

    /// <summary>A conversation whose visitor is under a hold (R4): a hold on a person keeps everything held about them.</summary>
    [Id(4)] public bool UnderVisitorHold { get; set; }

    public bool IsHeld => Hold is not null || UnderTenantHold || UnderVisitorHold;

    public DateTimeOffset DeadlineAfter(DateTimeOffset lastActivity) => new RetentionPolicy(Period).DeadlineAfter(lastActivity);

    /// <summary>Takes over the tenant's rules; true when anything changed (the caller then writes its state).</summary>
    public bool Adopt(RetentionRules rules)
    {
        var changed = Period != rules.Policy.Period || KeepRedactedEmail != rules.Policy.KeepRedactedEmail
                      || UnderTenantHold != (rules.TenantHold is not null);
        Period = rules.Policy.Period;
        KeepRedactedEmail = rules.Policy.KeepRedactedEmail;
        UnderTenantHold = rules.TenantHold is not null;
        return changed;
    }
}

/// <summary>
/// The <c>retention-check</c> reminder of one holder (R1). Orleans has no one-shot reminders and limits due
/// times, so a holder keeps a periodic reminder (period <see cref="RetentionOptions.CheckInterval"/>, one day)
/// and compares its deadline with <see cref="TimeProvider"/> on every tick; when the deadline is nearer than
/// one period, the next tick is moved onto the deadline. The reminder is durable (the reminder table), so
/// deletion survives restarts and failovers.
/// </summary>
public sealed class RetentionClock(TimeProvider time, IOptions<RetentionOptions> retention, IOptions<ReminderOptions> reminders)
{
    public const string ReminderName = "retention-check";

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>The reminder's period: the configured interval, never below Orleans' minimum.</summary>
    public TimeSpan Interval =>
        retention.Value.CheckInterval < reminders.Value.MinimumReminderPeriod ? reminders.Value.MinimumReminderPeriod : retention.Value.CheckInterval;

    public bool IsDue(DateTimeOffset deadline) => Now >= deadline;

    /// <summary>When the next check should come: at the deadline if that is within one period, else one period on.</summary>
    public TimeSpan NextCheck(DateTimeOffset deadline)
    {
        var remaining = deadline - Now;
        if (remaining <= TimeSpan.Zero) return TimeSpan.Zero;
        return remaining < Interval ? remaining : Interval;
    }

    /// <summary>Registers (or moves) the reminder so it fires by <paramref name="deadline"/>.</summary>
    public Task Schedule(Grain holder, DateTimeOffset deadline) =>
        holder.RegisterOrUpdateReminder(ReminderName, NextCheck(deadline), Interval);

    /// <summary>Called on a tick that found the data not yet due: moves the next tick onto a near deadline.</summary>
    public Task Reschedule(Grain holder, DateTimeOffset deadline) =>
        deadline - Now < Interval ? Schedule(holder, deadline) : Task.CompletedTask;

    public static async Task Cancel(Grain holder)
    {
        if (await holder.GetReminder(ReminderName) is { } reminder) await holder.UnregisterReminder(reminder);
    }
}
