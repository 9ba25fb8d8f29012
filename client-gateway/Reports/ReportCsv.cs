using System.Globalization;
using System.Text;

namespace ChatCluster.Gateway.Reports;

/// <summary>The report's series as CSV (RFC 4180, invariant culture), one row per day or hour.</summary>
public static class ReportCsv
{
    public const string Header =
        "period,conversations,messages,missed,resolved,first_response_median_seconds,resolution_median_seconds,satisfaction_average";

    public static string Write(TenantReport report)
    {
        var csv = new StringBuilder().Append(Header).Append("\r\n");
        foreach (var p in report.Series)
        {
            csv.Append(p.Period).Append(',')
                .Append(p.Conversations.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(p.Messages.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(Cell(p.Missed)).Append(',')
                .Append(Cell(p.Resolved)).Append(',')
                .Append(Cell(p.FirstResponseMedianSeconds)).Append(',')
                .Append(Cell(p.ResolutionMedianSeconds)).Append(',')
                .Append(Cell(p.SatisfactionAverage)).Append("\r\n");
        }
        return csv.ToString();
    }

    private static string Cell(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string Cell(double? value) => value?.ToString("0.##", CultureInfo.InvariantCulture) ?? "";
}
