using ChatCluster.Privacy;

namespace ChatCluster.Grains.Privacy;

/// <summary>
/// The tenant's register of data-subject requests (R5). Subjects are pseudonymous ids (<c>visitor:v_…</c>, or a
/// hash of an email for self-service requests), never names or addresses, so the register outlives the data it is about.
/// </summary>
public sealed class PrivacyRequestsGrain(
    [PersistentState("privacy-requests", StorageNames.Chat)] IPersistentState<PrivacyRequestsState> state,
    TimeProvider time) : Grain, IPrivacyRequestsGrain
{
    public const int MaxRequests = 100_000;

    public async Task<PrivacyRequest> Open(PrivacyRequestKind kind, string subject, string receivedBy)
    {
        if (state.State.Requests.Count >= MaxRequests) throw ChatRuleException.Invalid($"The request register holds at most {MaxRequests} requests.");
        var now = time.GetUtcNow();
        var request = new PrivacyRequest("pr_" + Ids.Random(12), kind, subject, PrivacyRequestStatus.Received, now, now + PrivacyRequest.AnswerWithin, null, receivedBy);
        state.State.Requests.Add(request);
        await state.WriteStateAsync();
        return request;
    }

    public async Task<PrivacyRequest> Complete(string requestId, PrivacyRequestStatus outcome)
    {
        var index = state.State.Requests.FindIndex(r => r.Id == requestId);
        if (index < 0) throw ChatRuleException.NotFound($"Request '{requestId}'");
        var done = state.State.Requests[index] with { Status = outcome, CompletedAt = time.GetUtcNow() };
        state.State.Requests[index] = done;
        await state.WriteStateAsync();
        return done;
    }

    public Task Purge() => state.ClearStateAsync();

    public Task<IReadOnlyList<PrivacyRequest>> List() => Task.FromResult<IReadOnlyList<PrivacyRequest>>([.. state.State.Requests]);
}

[GenerateSerializer]
public sealed class PrivacyRequestsState
{
    [Id(0)] public List<PrivacyRequest> Requests { get; set; } = [];
}
