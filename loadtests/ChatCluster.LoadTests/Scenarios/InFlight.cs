using System.Globalization;
using ChatCluster.LoadTests.Model;

namespace ChatCluster.LoadTests.Scenarios;

/// <summary>
/// How many messages one pair may have in flight in the open model. "auto" sizes it so that the harness never
/// declines to send before the target has had a full step timeout to answer: in flight ≤ rate × timeout, spread
/// over the pairs, with 50 % headroom (so <c>no_free_copy</c> means a message older than the timeout, not a busy pair).
/// </summary>
public static class InFlight
{
    public static readonly ScenarioOption Option = new("in-flight", "open model: messages one pair may have in flight at once (auto = 1.5 × rate × step timeout / pairs, at least 4)", "auto");

    public const int Max = 10_000;

    public static int PerPair(RunSettings settings, int pairs)
    {
        var value = settings.ScenarioOptions.TryGetValue(Option.Name, out var text) ? text : "auto";
        if (!string.Equals(value, "auto", StringComparison.OrdinalIgnoreCase))
        {
            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= Max
                ? n
                : throw new ArgumentException($"--in-flight must be auto or 1..{Max}, not '{value}'.");
        }
        if (settings.Rate is not { } rate) return 1;
        var needed = Math.Ceiling(1.5 * rate * settings.StepTimeout.TotalSeconds / Math.Max(1, pairs));
        return (int)Math.Clamp(needed, 4, Max);
    }
}
