namespace ChatCluster.LoadTests.Model;

/// <summary>
/// What one execution of a <see cref="Step"/> produced. A step that measures its own latency
/// (end to end, e.g. send timestamp to the peer's receipt) passes it as <see cref="Latency"/>;
/// otherwise the runner uses the step's wall-clock duration.
/// </summary>
public readonly record struct StepResult(
    bool IsOk,
    string? ErrorCode,
    long BytesSent,
    long BytesReceived,
    TimeSpan? Latency)
{
    public static StepResult Ok(long bytesSent = 0, long bytesReceived = 0, TimeSpan? latency = null) =>
        new(true, null, bytesSent, bytesReceived, latency);

    public static StepResult Fail(string errorCode, long bytesSent = 0, long bytesReceived = 0) =>
        new(false, string.IsNullOrWhiteSpace(errorCode) ? "unknown" : errorCode, bytesSent, bytesReceived, null);
}
