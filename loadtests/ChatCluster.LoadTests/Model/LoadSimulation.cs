namespace ChatCluster.LoadTests.Model;

/// <summary>
/// How copies and iterations are driven over time. Simulations of a scenario run one after the other;
/// a ramp starts from where the previous simulation ended (0 for the first).
/// Closed model: <see cref="RampConstant"/>, <see cref="KeepConstant"/> (a number of copies looping back to back).
/// Open model: <see cref="Inject"/>, <see cref="RampingInject"/> (iterations started at a rate, whatever the latency).
/// </summary>
public abstract record LoadSimulation(TimeSpan During)
{
    /// <summary>Ramps the number of looping copies linearly to <paramref name="copies"/> over <paramref name="during"/>.</summary>
    public static LoadSimulation RampConstant(int copies, TimeSpan during) => new RampConstantSimulation(copies, during);

    /// <summary>Keeps <paramref name="copies"/> copies looping iterations back to back for <paramref name="during"/>.</summary>
    public static LoadSimulation KeepConstant(int copies, TimeSpan during) => new KeepConstantSimulation(copies, during);

    /// <summary>Starts <paramref name="rate"/> iterations per <paramref name="interval"/>, spread evenly, for <paramref name="during"/>.</summary>
    public static LoadSimulation Inject(double rate, TimeSpan interval, TimeSpan during) => new InjectSimulation(rate, interval, during);

    /// <summary>Ramps the injection rate linearly to <paramref name="rate"/> per <paramref name="interval"/> over <paramref name="during"/>.</summary>
    public static LoadSimulation RampingInject(double rate, TimeSpan interval, TimeSpan during) => new RampingInjectSimulation(rate, interval, during);

    public abstract bool IsOpenModel { get; }

    /// <summary>The share of this simulation a worker runs when the load is spread over <paramref name="workerCount"/> processes.</summary>
    public abstract LoadSimulation Slice(int workerIndex, int workerCount);

    public abstract string Describe();

    /// <summary>Copies (closed) at <paramref name="elapsed"/> into this simulation, ramping from <paramref name="previousCopies"/>.</summary>
    public virtual int CopiesAt(TimeSpan elapsed, int previousCopies) => 0;

    /// <summary>Iterations (open) injected from the start of this simulation up to <paramref name="elapsed"/>, ramping from <paramref name="previousRatePerSecond"/>.</summary>
    public virtual double InjectedBy(TimeSpan elapsed, double previousRatePerSecond) => 0;

    /// <summary>The copies (closed) or per-second rate (open) this simulation ends at, the start of a following ramp.</summary>
    public abstract double EndLevel { get; }

    internal static int ShareOf(int total, int index, int count) => total / count + (index < total % count ? 1 : 0);

    internal static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.###}s";
}

public sealed record RampConstantSimulation(int Copies, TimeSpan During) : LoadSimulation(During)
{
    public override bool IsOpenModel => false;
    public override double EndLevel => Copies;
    public override LoadSimulation Slice(int workerIndex, int workerCount) => this with { Copies = ShareOf(Copies, workerIndex, workerCount) };
    public override string Describe() => $"RampConstant(copies: {Copies}, during: {Seconds(During)})";

    public override int CopiesAt(TimeSpan elapsed, int previousCopies)
    {
        if (During <= TimeSpan.Zero || elapsed >= During) return Copies;
        var fraction = elapsed / During;
        return (int)Math.Round(previousCopies + (Copies - previousCopies) * fraction);
    }
}

public sealed record KeepConstantSimulation(int Copies, TimeSpan During) : LoadSimulation(During)
{
    public override bool IsOpenModel => false;
    public override double EndLevel => Copies;
    public override LoadSimulation Slice(int workerIndex, int workerCount) => this with { Copies = ShareOf(Copies, workerIndex, workerCount) };
    public override string Describe() => $"KeepConstant(copies: {Copies}, during: {Seconds(During)})";
    public override int CopiesAt(TimeSpan elapsed, int previousCopies) => Copies;
}

public sealed record InjectSimulation(double Rate, TimeSpan Interval, TimeSpan During) : LoadSimulation(During)
{
    public double RatePerSecond => Rate / Interval.TotalSeconds;
    public override bool IsOpenModel => true;
    public override double EndLevel => RatePerSecond;
    public override LoadSimulation Slice(int workerIndex, int workerCount) => this with { Rate = Rate / workerCount };
    public override string Describe() => $"Inject(rate: {Rate:0.##}, interval: {Seconds(Interval)}, during: {Seconds(During)})";
    public override double InjectedBy(TimeSpan elapsed, double previousRatePerSecond) => RatePerSecond * Math.Min(elapsed.TotalSeconds, During.TotalSeconds);
}

public sealed record RampingInjectSimulation(double Rate, TimeSpan Interval, TimeSpan During) : LoadSimulation(During)
{
    public double RatePerSecond => Rate / Interval.TotalSeconds;
    public override bool IsOpenModel => true;
    public override double EndLevel => RatePerSecond;
    public override LoadSimulation Slice(int workerIndex, int workerCount) => this with { Rate = Rate / workerCount };
    public override string Describe() => $"RampingInject(rate: {Rate:0.##}, interval: {Seconds(Interval)}, during: {Seconds(During)})";

    public override double InjectedBy(TimeSpan elapsed, double previousRatePerSecond)
    {
        // Integral of a rate rising linearly from the previous rate to this one.
        var t = Math.Min(elapsed.TotalSeconds, During.TotalSeconds);
        var total = During.TotalSeconds;
        if (total <= 0) return 0;
        return previousRatePerSecond * t + (RatePerSecond - previousRatePerSecond) * t * t / (2 * total);
    }
}
