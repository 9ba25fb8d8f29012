using System.Globalization;
using System.Text.Json;
using ChatCluster.LoadTests.Model;
using Spectre.Console;

namespace ChatCluster.LoadTests.Progress;

public static class ProgressSinks
{
    /// <summary>Live table on an interactive terminal; plain lines when output is redirected or under CI.</summary>
    public static IProgressSink Create(ProgressMode mode) => mode switch
    {
        ProgressMode.None => new SilentProgress(),
        ProgressMode.Worker => new WorkerProgress(Console.Out),
        ProgressMode.Plain => new PlainProgress(Console.Out),
        ProgressMode.Live => new LiveProgress(),
        _ => IsInteractive() ? new LiveProgress() : new PlainProgress(Console.Out),
    };

    public static bool IsInteractive() =>
        !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
        && AnsiConsole.Profile.Capabilities.Interactive;

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}

public sealed class SilentProgress : IProgressSink
{
    public void Report(ProgressSnapshot snapshot) { }
    public void Log(string message) { }
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>One line per second per row: readable in CI logs.</summary>
public sealed class PlainProgress(TextWriter output) : IProgressSink
{
    public void Report(ProgressSnapshot s)
    {
        foreach (var row in s.Rows.Take(1))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{s.ElapsedSeconds,6:0.0}s/{s.TotalSeconds:0}s] {s.Scenario} {s.Phase} | copies {s.ActiveCopies} | ok {row.Ok} failed {row.Failed} | {row.LastSecondRps:0}/s p50 {row.LastP50Ms:0.000} ms p99 {row.LastP99Ms:0.000} ms"));
        }
        output.Flush();
    }

    public void Log(string message)
    {
        output.WriteLine(message);
        output.Flush();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A worker's progress: machine-readable lines on stdout for the coordinator.</summary>
public sealed class WorkerProgress(TextWriter output) : IProgressSink
{
    public const string ProgressPrefix = "##progress ";
    public const string LogPrefix = "##log ";

    private readonly object _gate = new();

    public void Report(ProgressSnapshot snapshot)
    {
        lock (_gate)
        {
            output.WriteLine(ProgressPrefix + JsonSerializer.Serialize(snapshot, ReportJson.Options));
            output.Flush();
        }
    }

    public void Log(string message)
    {
        lock (_gate)
        {
            output.WriteLine(LogPrefix + message.ReplaceLineEndings(" "));
            output.Flush();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>A Spectre.Console live table, redrawn each second. Log lines wait until the display ends.</summary>
public sealed class LiveProgress : IProgressSink
{
    private readonly SemaphoreSlim _updated = new(0);
    private readonly List<string> _logs = [];
    private readonly Task _display;
    private volatile ProgressSnapshot? _latest;
    private volatile bool _done;

    public LiveProgress()
    {
        var table = BuildTable(null);
        _display = AnsiConsole.Live(table).AutoClear(false).StartAsync(async ctx =>
        {
            while (!_done)
            {
                await _updated.WaitAsync(TimeSpan.FromSeconds(1));
                ctx.UpdateTarget(BuildTable(_latest));
            }
            ctx.UpdateTarget(BuildTable(_latest));
        });
    }

    public void Report(ProgressSnapshot snapshot)
    {
        _latest = snapshot;
        _updated.Release();
    }

    public void Log(string message)
    {
        lock (_logs) _logs.Add(message);
    }

    public async ValueTask DisposeAsync()
    {
        _done = true;
        _updated.Release();
        await _display;
        lock (_logs)
        {
            foreach (var line in _logs) AnsiConsole.WriteLine(line);
        }
        _updated.Dispose();
    }

    private static Table BuildTable(ProgressSnapshot? s)
    {
        var table = new Table().Border(TableBorder.Rounded);
        var title = s is null
            ? "starting…"
            : string.Create(CultureInfo.InvariantCulture, $"{s.Scenario} · {s.ElapsedSeconds:0}/{s.TotalSeconds:0} s · {s.Phase} · copies {s.ActiveCopies}");
        table.Title(Markup.Escape(title));
        foreach (var column in new[] { "step", "ok", "failed", "RPS (last s)", "p50 ms", "p99 ms", "sent", "received" })
            table.AddColumn(column == "step" ? new TableColumn(column) : new TableColumn(column).RightAligned());
        if (s is null) return table;
        foreach (var row in s.Rows)
        {
            table.AddRow(
                Markup.Escape(row.Name),
                row.Ok.ToString("N0", CultureInfo.InvariantCulture),
                row.Failed == 0 ? "0" : $"[red]{row.Failed.ToString("N0", CultureInfo.InvariantCulture)}[/]",
                row.LastSecondRps.ToString("N0", CultureInfo.InvariantCulture),
                row.LastP50Ms.ToString("0.000", CultureInfo.InvariantCulture),
                row.LastP99Ms.ToString("0.000", CultureInfo.InvariantCulture),
                ProgressSinks.Bytes(row.BytesSent),
                ProgressSinks.Bytes(row.BytesReceived));
        }
        return table;
    }
}
