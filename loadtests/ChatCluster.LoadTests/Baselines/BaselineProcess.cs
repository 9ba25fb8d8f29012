using System.Diagnostics;
using ChatCluster.LoadTests.Distributed;

namespace ChatCluster.LoadTests.Baselines;

/// <summary>
/// A baseline server in a child process on a free loopback port, so the generator's CPU and GC are not
/// the server's. It stops when its standard input closes (also if this process dies), or on dispose.
/// </summary>
public sealed class BaselineProcess : IAsyncDisposable
{
    public const string ListeningPrefix = "##listening ";
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Task _stderr;
    private readonly List<string> _errors = [];

    private BaselineProcess(Process process, BaselineKind kind)
    {
        _process = process;
        Kind = kind;
        _stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
                lock (_errors) if (_errors.Count < 200) _errors.Add(line);
        });
    }

    public BaselineKind Kind { get; }
    public Uri BaseUrl { get; private set; } = null!;
    public Uri RelayUrl => BaselineServer.UrlFor(Kind, BaseUrl);
    public int ProcessId => _process.Id;

    public static async Task<BaselineProcess> StartAsync(BaselineKind kind, CancellationToken cancellationToken)
    {
        var info = SelfLauncher.StartInfo(["baseline", kind.ToString().ToLowerInvariant(), "--port", "0", "--stop-on-stdin-eof"]);
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the baseline process.");
        var baseline = new BaselineProcess(process, kind);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartBudget);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (!line.StartsWith(ListeningPrefix, StringComparison.Ordinal)) continue;
                baseline.BaseUrl = new Uri(line[ListeningPrefix.Length..].Trim());
                _ = Task.Run(async () => { while (await process.StandardOutput.ReadLineAsync() is not null) { } }, CancellationToken.None);
                return baseline;
            }
            throw new InvalidOperationException($"The {kind} baseline exited before listening: {baseline.Errors()}");
        }
        catch
        {
            await baseline.DisposeAsync();
            throw;
        }
    }

    private string Errors()
    {
        lock (_errors) return string.Join(Environment.NewLine, _errors);
    }

    public async ValueTask DisposeAsync()
    {
        try { _process.StandardInput.Close(); }
        catch (IOException) { }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await _process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { SelfLauncher.KillQuietly(_process); }
        await Task.WhenAny(_stderr, Task.Delay(TimeSpan.FromSeconds(1)));
        _process.Dispose();
    }
}
