namespace ChatCluster.LoadTests.Model;

/// <summary>
/// One measured action of an iteration. Steps of a scenario run in order for each iteration; when
/// one fails, the rest of that iteration is skipped. A step that throws is recorded as a failure with
/// the exception's type name as error code; one that exceeds <see cref="Timeout"/> fails as "timeout".
/// </summary>
public sealed record Step(string Name, Func<StepContext, Task<StepResult>> Run)
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}
