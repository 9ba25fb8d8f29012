using ChatCluster.Privacy;

namespace ChatCluster.Grains.Tests;

/// <summary>R5, R7: an erasure is recorded before it deletes anything and finished by a reminder if it stopped half-way.</summary>
[Collection(RetentionCollection.Name)]
public sealed class ErasureResumeTests(RetentionCluster cluster)
{
    private const string Admin = "agent:a_admin";

    [Fact]
    public async Task An_erasure_that_fails_half_way_is_finished_by_itself_once_the_store_works_again()
    {
        var tenant = await cluster.NewTenant();
        var first = await cluster.NewChat(tenant);
        var second = await cluster.NewChat(tenant, first.VisitorId);
        var desk = cluster.Grains.GetGrain<IDataProtectionGrain>(tenant);
        var broken = GrainKeys.Scoped(tenant, second.ConversationId);
        cluster.Log.FailDeletes(broken);
        // As the admin API does: the request is entered in the register, then served.
        var register = cluster.Grains.GetGrain<IPrivacyRequestsGrain>(tenant);
        var request = await register.Open(PrivacyRequestKind.Erasure, AuditEntry.VisitorSubject(first.VisitorId), Admin);

        await Assert.ThrowsAnyAsync<Exception>(() => desk.EraseVisitor(first.VisitorId, Admin));
        Assert.Equal([first.VisitorId], await desk.PendingErasures());
        Assert.Equal(PrivacyRequestStatus.Received, (await register.List()).Single(r => r.Id == request.Id).Status);

        cluster.Log.FailDeletes(broken, fail: false);
        await RetentionCluster.Eventually(async () => (await desk.PendingErasures()).Count == 0, "the erasure was resumed");
        // R5: the register shows the request answered, although the reminder (not the admin's call) finished it.
        var answered = (await register.List()).Single(r => r.Id == request.Id);
        Assert.Equal(PrivacyRequestStatus.Completed, answered.Status);
        Assert.NotNull(answered.CompletedAt);
        Assert.Null(await first.Visitor.GetProfile());
        Assert.NotNull((await first.Visitor.GetRetention()).ErasedAt);
        Assert.Empty(await cluster.StoredMessages(tenant, first.ConversationId));
        Assert.Empty(await cluster.StoredMessages(tenant, second.ConversationId));
        var audit = await cluster.Audit(tenant, cluster.Time.GetUtcNow());
        Assert.Contains(audit, e => e.Action == AuditAction.VisitorErased && e.Subject == AuditEntry.VisitorSubject(first.VisitorId));
    }

    [Fact]
    public async Task A_resumed_erasure_that_meets_a_hold_placed_meanwhile_shows_its_request_refused()
    {
        var tenant = await cluster.NewTenant();
        var first = await cluster.NewChat(tenant);
        var second = await cluster.NewChat(tenant, first.VisitorId);
        var desk = cluster.Grains.GetGrain<IDataProtectionGrain>(tenant);
        var broken = GrainKeys.Scoped(tenant, second.ConversationId);
        cluster.Log.FailDeletes(broken);
        var register = cluster.Grains.GetGrain<IPrivacyRequestsGrain>(tenant);
        var request = await register.Open(PrivacyRequestKind.Erasure, AuditEntry.VisitorSubject(first.VisitorId), Admin);
        await Assert.ThrowsAnyAsync<Exception>(() => desk.EraseVisitor(first.VisitorId, Admin));

        await desk.PlaceHold(HoldScope.Visitor, first.VisitorId, "Case 2026-7", Admin);
        cluster.Log.FailDeletes(broken, fail: false);
        await RetentionCluster.Eventually(async () => (await desk.PendingErasures()).Count == 0, "the resumed erasure met the hold");

        Assert.Equal(PrivacyRequestStatus.Refused, (await register.List()).Single(r => r.Id == request.Id).Status);
        Assert.NotNull(await first.Visitor.GetProfile()); // the held person's data is kept
    }

    [Fact]
    public async Task A_day_with_more_than_a_hundred_thousand_audit_entries_still_records_an_erasure()
    {
        var tenant = await cluster.NewTenant();
        var chat = await cluster.NewChat(tenant);
        var now = cluster.Time.GetUtcNow();
        var day = cluster.Grains.GetGrain<IAuditLogGrain>(DayKeys.For(tenant, now));
        const int busyDay = 100_001; // the old per-day grain refused the 100,001st entry
        foreach (var batch in Enumerable.Range(0, busyDay).Chunk(2_000))
            await Task.WhenAll(batch.Select(i => day.Append(new AuditEntry(now, Admin, AuditAction.TranscriptRead, AuditEntry.ConversationSubject("c_" + i)))));

        var report = await cluster.Grains.GetGrain<IDataProtectionGrain>(tenant).EraseVisitor(chat.VisitorId, Admin);

        Assert.Equal(1, report.ConversationsErased);
        var audit = await cluster.Audit(tenant, now);
        Assert.Equal(busyDay + 2, audit.Count); // the conversation's and the visitor's erasure
        Assert.Contains(audit, e => e.Action == AuditAction.VisitorErased);
    }
}
