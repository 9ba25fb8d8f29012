using System.Globalization;
using System.Text;

namespace ChatCluster.LoadTests.Drill;

public static class DrillMarkdown
{
    public static string Render(DrillReport r)
    {
        var md = new StringBuilder();
        md.AppendLine("# Kill-a-silo drill");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- Command: `{r.Command}`");
        md.AppendLine(CultureInfo.InvariantCulture, $"- Started {r.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC; load average {r.LoadAverageAtStart} → {r.LoadAverageAtEnd}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- {r.Pairs} pairs, one message every {r.IntervalMs:0} ms per pair, visitor and agent on different Client-mode gateways; 2 PostgreSQL-mode silos");
        md.AppendLine();
        md.AppendLine("| trial | killed | activations | pairs delivering again | within 5 s | recovery p50 s | slowest s |");
        md.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var t in r.Trials)
        {
            var times = t.RecoverySeconds.OfType<double>().OrderBy(x => x).ToList();
            var p50 = times.Count == 0 ? "–" : times[times.Count / 2].ToString("0.###", CultureInfo.InvariantCulture);
            var slowest = times.Count == 0 ? "–" : times[^1].ToString("0.###", CultureInfo.InvariantCulture);
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {t.Trial} | {t.KilledSilo} | {(t.KilledSiloActivations is { } a ? a.ToString("0", CultureInfo.InvariantCulture) : "?")} | {t.Recovered}/{t.RecoverySeconds.Count} | {t.WithinBar}/{t.RecoverySeconds.Count} | {p50} | {slowest} |");
        }
        md.AppendLine();
        md.AppendLine("| messages | count |");
        md.AppendLine("| --- | ---: |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| sent | {r.Sent} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| acknowledged | {r.Acknowledged} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| not acknowledged | {r.Refused} ({string.Join(", ", r.Errors.Select(e => $"`{e.Key}` ×{e.Value}"))}) |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| acknowledged, missing at the other party's open socket | {r.AckedMissingAtReceiver} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| acknowledged, missing at the sender's own open socket | {r.AckedMissingAtSender} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| duplicates (same clientMessageId twice on a socket) | {r.Duplicates} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| out of order (seq not above the previous on a socket) | {r.OutOfOrder} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| sockets closed by the end | {r.SocketsClosed} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| fail:/crit: lines of the surviving silos | {r.SiloFailureLines} |");
        return md.ToString();
    }
}
