using ChatCluster.Privacy;

namespace ChatCluster.Gateway.Api;

/// <summary>An inclusive range of UTC days from <c>?from=yyyy-MM-dd&amp;to=yyyy-MM-dd</c>, with clear errors.</summary>
public sealed record DayRange(DateOnly From, DateOnly To)
{
    public IEnumerable<DateOnly> Days()
    {
        for (var day = From; day <= To; day = day.AddDays(1)) yield return day;
    }

    /// <summary>The range, or a problem naming what is wrong. Missing ends default to the last <paramref name="defaultDays"/> days.</summary>
    public static (DayRange? Range, IResult? Problem) Parse(string? from, string? to, DateOnly today, int defaultDays, int maxDays)
    {
        var end = today;
        if (to is not null && !DayKeys.TryParseDay(to, out end))
            return (null, ProblemMapping.Problem(ErrorCodes.InvalidRequest, $"to: '{Trim(to)}' is not a date; use yyyy-MM-dd."));
        var start = end.AddDays(1 - defaultDays);
        if (from is not null && !DayKeys.TryParseDay(from, out start))
            return (null, ProblemMapping.Problem(ErrorCodes.InvalidRequest, $"from: '{Trim(from)}' is not a date; use yyyy-MM-dd."));
        if (start > end)
            return (null, ProblemMapping.Problem(ErrorCodes.InvalidRequest, "from must not be after to."));
        if (end.DayNumber - start.DayNumber + 1 > maxDays)
            return (null, ProblemMapping.Problem(ErrorCodes.InvalidRequest, $"A range covers at most {maxDays} days; ask for several ranges."));
        return (new DayRange(start, end), null);
    }

    private static string Trim(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
