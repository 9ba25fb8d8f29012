using System.Diagnostics;
using System.Text.Json;
using ChatCluster.LoadTests.Cli;
using ChatCluster.LoadTests.Model;
using ChatCluster.LoadTests.Progress;

namespace ChatCluster.LoadTests.Distributed;

/// <summary>
/// Spreads a run over N worker processes of this program (one process may hold at most 20,000 open files).
/// Each worker gets its share of copies and rate and its own source addresses, reports "ready" after
/// prewarm, starts on a common "go", streams progress lines, and writes its raw statistics (with
/// encoded histograms) to a file that the coordinator merges into one report.
/// </summary>
public static class Coordinator
{
    public const string ReadyLine = "##ready";
    public const string GoLine = "go";
    private static readonly TimeSpan ReadyBudget = TimeSpan.FromSeconds(240);

    public static async Task<RunData> RunAsync(RunSettings settings, IProgressSink progress, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"chatcluster-loadtests-{settings.RunId}");
        Directory.CreateDirectory(folder);
        var workers = new List<Worker>();
        try
        {
            for (var i = 0; i < settings.Workers; i++)
            {
                var resultFile = Path.Combine(folder, $"worker-{i}.json");
                var process = Process.Start(SelfLauncher.StartInfo(CommandLine.WorkerArguments(settings, i, resultFile)))
                    ?? throw new InvalidOperationException($"Could not start worker {i}.");
                var worker = new Worker(i, process, resultFile, progress, workers);
                lock (workers) workers.Add(worker);
            }

            using (var readyTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                readyTimeout.CancelAfter(ReadyBudget);
                var ready = Task.WhenAll(workers.Select(w => w.Ready));
                var anyExited = Task.WhenAny(workers.Select(w => w.Exited));
                var first = await Task.WhenAny(ready, anyExited, Task.Delay(Timeout.Infinite, readyTimeout.Token));
                if (first != ready)
                {
                    var failed = workers.FirstOrDefault(w => w.Exited.IsCompleted);
                    throw new InvalidOperationException(failed is null
                        ? $"Workers were not ready within {ReadyBudget}."
                        : $"Worker {failed.Index} exited before it was ready: {failed.ErrorText()}");
                }
            }
            foreach (var worker in workers) await worker.GoAsync();

            // Workers stop themselves; this bound only catches a hung one.
            var budget = settings.WarmUp + settings.Duration + 2 * settings.StepTimeout + TimeSpan.FromSeconds(90);
            var allExited = Task.WhenAll(workers.Select(w => w.Exited));
            if (await Task.WhenAny(allExited, Task.Delay(budget, cancellationToken)) != allExited)
            {
                foreach (var worker in workers) SelfLauncher.KillQuietly(worker.Process);
                throw new TimeoutException($"Workers did not finish within {budget}; they were killed.");
            }

            var results = new List<RunData>();
            foreach (var worker in workers)
            {
                if (worker.Process.ExitCode != 0 || !File.Exists(worker.ResultFile))
                    throw new InvalidOperationException($"Worker {worker.Index} failed (exit {worker.Process.ExitCode}): {worker.ErrorText()}");
                results.Add(JsonSerializer.Deserialize<RunData>(await File.ReadAllTextAsync(cancellationToken: cancellationToken, path: worker.ResultFile), ReportJson.Options)
                    ?? throw new InvalidDataException($"Worker {worker.Index} wrote an empty result."));
            }
            return RunData.Merge(results);
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.CloseInput();
                SelfLauncher.KillQuietly(worker.Process);
                worker.Process.Dispose();
            }
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { }
        }
    }

    private sealed class Worker
    {
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _errors = [];
        private readonly IProgressSink _progress;
        private readonly List<Worker> _all;

        public Worker(int index, Process process, string resultFile, IProgressSink progress, List<Worker> all)
        {
            Index = index;
            Process = process;
            ResultFile = resultFile;
            _progress = progress;
            _all = all;
            var stdout = Task.Run(ReadOutputAsync);
            var stderr = Task.Run(ReadErrorsAsync);
            Exited = Task.WhenAll(stdout, stderr, process.WaitForExitAsync());
        }

        public int Index { get; }
        public Process Process { get; }
        public string ResultFile { get; }
        public Task Ready => _ready.Task;
        public Task Exited { get; }
        public ProgressSnapshot? Latest { get; private set; }

        public async Task GoAsync()
        {
            await Process.StandardInput.WriteLineAsync(GoLine);
            await Process.StandardInput.FlushAsync();
        }

        /// <summary>A worker stops when its input closes, so it never outlives the coordinator.</summary>
        public void CloseInput()
        {
            try { Process.StandardInput.Close(); }
            catch (IOException) { }
            catch (InvalidOperationException) { }
        }

        public string ErrorText()
        {
            lock (_errors) return _errors.Count == 0 ? "(no error output)" : string.Join(Environment.NewLine, _errors.TakeLast(30));
        }

        private async Task ReadOutputAsync()
        {
            while (await Process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line == ReadyLine) _ready.TrySetResult();
                else if (line.StartsWith(WorkerProgress.ProgressPrefix, StringComparison.Ordinal))
                {
                    Latest = JsonSerializer.Deserialize<ProgressSnapshot>(line[WorkerProgress.ProgressPrefix.Length..], ReportJson.Options);
                    // Worker 0 paces the combined display: one redraw per second, not one per worker.
                    if (Index == 0)
                    {
                        List<ProgressSnapshot> parts;
                        lock (_all) parts = _all.Select(w => w.Latest).OfType<ProgressSnapshot>().ToList();
                        if (parts.Count > 0) _progress.Report(ProgressSnapshot.Combine(parts));
                    }
                }
                else if (line.StartsWith(WorkerProgress.LogPrefix, StringComparison.Ordinal)) _progress.Log($"[worker {Index}] {line[WorkerProgress.LogPrefix.Length..]}");
                else if (line.Length > 0) _progress.Log($"[worker {Index}] {line}");
            }
        }

        private async Task ReadErrorsAsync()
        {
            while (await Process.StandardError.ReadLineAsync() is { } line)
                lock (_errors) if (_errors.Count < 500) _errors.Add(line);
        }
    }
}
