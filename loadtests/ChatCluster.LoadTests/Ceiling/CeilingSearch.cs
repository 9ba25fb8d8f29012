using System.Globalization;
using ChatCluster.LoadTests.Gateway;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Network;
using ChatCluster.LoadTests.Progress;
using ChatCluster.LoadTests.Reporting;
using ChatCluster.LoadTests.Running;
using ChatCluster.LoadTests.Scenarios;

namespace ChatCluster.LoadTests.Ceiling;

/// <summary>
/// Steps the offered rate up against one target, open-loop, on the same pairs (connected, and warmed up at the first
/// rate, once), and reports each step and the sustained ceiling. The target is started once for the whole search.
/// Every target (relay, SignalR, chat in either mode) is searched the same way, so their ceilings compare.
/// </summary>
public static class CeilingSearch
{
    public static async Task<CeilingReport> RunAsync(IScenarioDefinition definition, RunSettings settings, CeilingPlan plan, string label,
        IProgressSink progress, CancellationToken cancellationToken, SustainedCriteria? criteria = null)
    {
        criteria ??= SustainedCriteria.Default;
        var rates = plan.Rates();
        if (settings.Workers > 1) throw new ArgumentException("ceiling runs in one generator process; --workers is not supported here.");
        // The scenario is sized (pairs' in-flight slots, validation) for the highest rate it may be offered.
        settings = settings with { Rate = rates[^1], Duration = plan.StepDuration, RampUp = TimeSpan.Zero };
        foreach (var url in settings.Urls) await LoopbackGuard.EnsureLoopbackAsync(url, cancellationToken);
        _ = new ScenarioRunner(definition.Build(settings), settings, new SilentProgress());

        var loadAtStart = MachineInfo.Current().LoadAverage;
        var startedUtc = DateTimeOffset.UtcNow;
        await using var lease = await definition.ProvideTargetsAsync(settings, cancellationToken);
        var options = new Dictionary<string, string>(settings.ScenarioOptions, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in lease.Options) options[name] = value;
        settings = settings with { Urls = lease.Urls, ScenarioOptions = options };
        foreach (var url in settings.Urls) await LoopbackGuard.EnsureLoopbackAsync(url, cancellationToken);

        var steps = new List<CeilingStep>();
        var unsustainedInARow = 0;
        var runner = new ScenarioRunner(definition.Build(settings), settings, progress);
        progress.Log($"ceiling {label}: {plan.Describe()}; sustained = {criteria.Describe()}");
        await runner.RunStaircaseAsync(
            rates.Select(r => LoadSimulation.Inject(r, TimeSpan.FromSeconds(1), plan.StepDuration)).ToList(),
            data =>
            {
                var step = criteria.Judge(rates[steps.Count], data);
                steps.Add(step);
                progress.Log(string.Create(CultureInfo.InvariantCulture,
                    $"ceiling {label}: offered {step.OfferedPerSecond:0}/s → delivered {step.DeliveredPerSecond:0}/s, failed {step.FailedPercent:0.##} %, p50 {step.P50Ms:0.##} ms, p99 {step.P99Ms:0.##} ms, p50 thirds {step.FirstThirdP50Ms:0.##} → {step.LastThirdP50Ms:0.##} ms: {(step.Sustained ? "sustained" : "NOT sustained (" + string.Join("; ", step.Reasons) + ")")}; load {MachineInfo.Current().LoadAverage}"));
                unsustainedInARow = step.Sustained ? 0 : unsustainedInARow + 1;
                return unsustainedInARow < plan.StopAfter;
            },
            cancellationToken);

        var target = lease.Measure is null ? [] : await lease.Measure();
        var command = "dotnet run -c Release --project loadtests/ChatCluster.LoadTests -- " + string.Join(' ', settings.CommandLine);
        return new CeilingReport(label, $"{definition.Name} → {lease.Label}", command, startedUtc, loadAtStart, MachineInfo.Current(),
            plan.Describe(), criteria.Describe(),
            new SortedDictionary<string, string>(settings.ScenarioOptions.Where(o => o.Key != GatewayTargets.OperatorKey.Name).ToDictionary(), StringComparer.Ordinal).ToDictionary(),
            steps, target);
    }
}
