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
        var request = state.State.Requests[index];
        // Already answered (e.g. the erasure engine completed it first): the first outcome stands.
        if (request.Status != PrivacyRequestStatus.Received) return request;
        var done = request with { Status = outcome, CompletedAt = time.GetUtcNow() };
        state.State.Requests[index] = done;
        await state.WriteStateAsync();
        return done;
    }

    public async Task<int> CompleteOpen(PrivacyRequestKind kind, string subject, PrivacyRequestStatus outcome)
    {
        var now = time.GetUtcNow();
        var completed = 0;
        for (var i = 0; i < state.State.Requests.Count; i++)
        {
            var request = state.State.Requests[i];
            if (request.Kind != kind || request.Status != PrivacyRequestStatus.Received || request.Subject != subject) continue;
            state.State.Requests[i] = request with { Status = outcome, CompletedAt = now };
            completed++;
        }
        if (completed > 0) await state.WriteStateAsync();
        return completed;
    }

    public Task Purge() => state.ClearStateAsync();

    public Task<IReadOnlyList<PrivacyRequest>> List() => Task.FromResult<IReadOnlyList<PrivacyRequest>>([.. state.State.Requests]);
}

[GenerateSerializer]
public sealed class PrivacyRequestsState
{
    [Id(0)] public List<PrivacyRequest> Requests { get; set; } = [];
}
