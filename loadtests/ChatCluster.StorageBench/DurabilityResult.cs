using System.Globalization;
using System.Text;

namespace ChatCluster.StorageBench;

/// <summary>Per-message write times of one strategy: mean, median, and the mean over the last tenth of each conversation.</summary>
public sealed record Stats(double MeanMs, double MedianMs, double TailMeanMs)
{
    public static Stats Of(List<double> times, int conversationSize)
    {
        var sorted = times.Order().ToArray();
        var tailFrom = conversationSize - Math.Max(1, conversationSize / 10);
        var tail = times.Where((_, i) => i % conversationSize >= tailFrom).ToArray();
        return new Stats(times.Average(), sorted[sorted.Length / 2], tail.Average());
    }
}

public sealed record DurabilityResult(int Size, int Conversations, Stats Log, Stats Blob, double MeanLogBytes, double MeanBlobBytes)
{
    public static string Markdown(IEnumerable<DurabilityResult> rows)
    {
        var culture = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("| messages per conversation | conversations | log: mean / median / last 10 % (ms) | blob: mean / median / last 10 % (ms) | blob ÷ log (median) | blob ÷ log (last 10 %) | bytes per message: log / blob |");
        text.AppendLine("|---:|---:|---|---|---:|---:|---:|");
        foreach (var r in rows)
        {
            text.AppendLine(string.Create(culture,
                $"| {r.Size:N0} | {r.Conversations} | {r.Log.MeanMs:0.00} / {r.Log.MedianMs:0.00} / {r.Log.TailMeanMs:0.00} | {r.Blob.MeanMs:0.00} / {r.Blob.MedianMs:0.00} / {r.Blob.TailMeanMs:0.00} | {r.Blob.MedianMs / r.Log.MedianMs:0.0}× | {r.Blob.TailMeanMs / r.Log.TailMeanMs:0.0}× | {r.MeanLogBytes:0} B / {r.MeanBlobBytes / 1024:0.0} KiB |"));
        }
        return text.ToString();
    }
}
