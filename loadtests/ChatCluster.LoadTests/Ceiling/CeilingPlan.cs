using System.Globalization;

namespace ChatCluster.LoadTests.Ceiling;

/// <summary>
/// The offered rates of a ceiling search: <see cref="Start"/>, then × <see cref="Factor"/> per step up to
/// <see cref="MaxRate"/>, each held for <see cref="StepDuration"/>. The search stops after <see cref="StopAfter"/>
/// consecutive steps that were not sustained (one stall on a shared machine should not end it).
/// </summary>
public sealed record CeilingPlan(double Start, double Factor, TimeSpan StepDuration, double MaxRate, int StopAfter)
{
    public static CeilingPlan Default { get; } = new(500, 1.5, TimeSpan.FromSeconds(10), 40_000, 2);

    public const int MaxSteps = 40;

    public IReadOnlyList<double> Rates()
    {
        if (Start <= 0 || !double.IsFinite(Start)) throw new ArgumentException("--start must be a rate above zero.");
        if (Factor <= 1 || !double.IsFinite(Factor)) throw new ArgumentException("--factor must be above 1.");
        if (MaxRate < Start) throw new ArgumentException("--max-rate must be at least --start.");
        if (StopAfter < 1) throw new ArgumentException("--stop-after must be at least 1.");
        var rates = new List<double>();
        for (var rate = Start; rate <= MaxRate * 1.000001 && rates.Count < MaxSteps; rate *= Factor) rates.Add(Math.Round(rate));
        return rates;
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"from {Start:0} msg/s × {Factor:0.##} per step up to {MaxRate:0}, {StepDuration.TotalSeconds:0.#} s per step, stop after {StopAfter} unsustained step(s) in a row");
}
