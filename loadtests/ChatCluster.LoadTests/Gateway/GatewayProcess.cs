using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ChatCluster.LoadTests.Distributed;
using ChatCluster.Gateway.Hosting;

namespace ChatCluster.LoadTests.Gateway;

/// <summary>
/// The embedded ChatCluster default (gateway + co-hosted silo, in memory) in a child process on free
/// loopback ports, for a one-command run; with <c>ChatCluster__Gateway__Mode=Client</c> among the extra settings, a
/// Client-mode gateway of a cluster (see <see cref="Cluster.PostgresCluster"/>). Its per-connection frame rate limit is raised: the default
/// (20 frames/s, bursts of 60) is right for browsers and would throttle a load generator's few sockets.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(120);
    private readonly Process _process;
    private readonly List<string> _output = [];

    private GatewayProcess(Process process, Uri url, string operatorKey)
    {
        _process = process;
        Url = url;
        OperatorKey = operatorKey;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Url { get; }
    public string OperatorKey { get; }
    public int ProcessId => _process.Id;

    /// <summary>Environment for load runs, as documented in docs/benchmarks.md.</summary>
    public static Dictionary<string, string> LoadEnvironment(int httpPort, string operatorKey) => new()
    {
        ["urls"] = $"http://127.0.0.1:{httpPort}",
        ["ChatCluster__Gateway__OperatorKey"] = operatorKey,
        ["ChatCluster__Gateway__FramesPerSecond"] = "10000",
        ["ChatCluster__Gateway__FrameBurst"] = "100000",
        // A run logs in one owner per tenant from 127.0.0.1 (20 pairs per tenant: 20 logins for 400 pairs).
        ["ChatCluster__Auth__LoginAttemptsPerMinute"] = "10000",
        ["ChatCluster__Abuse__NewVisitorsPerMinutePerAddress"] = "100000", // the harness opens every visitor from loopback
        ["ChatCluster__Abuse__ConversationsPerMinutePerAddress"] = "100000", // the harness opens every visitor from loopback
        ["ChatCluster__Abuse__ConversationsPerHourPerVisitor"] = "100000", // the harness opens every visitor from loopback
        ["ChatCluster__Abuse__NewVisitorsPerMinutePerTenant"] = "1000000", // the harness opens every visitor from loopback
        ["ChatCluster__Silo__SiloPort"] = ListenPorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["ChatCluster__Silo__GatewayPort"] = ListenPorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Warning",
    };

    /// <param name="extra">More settings (e.g. a short retention minimum for the retention scenario).</param>
    public static async Task<GatewayProcess> StartAsync(IReadOnlyDictionary<string, string> extra, CancellationToken cancellationToken)
    {
        var dll = FindGatewayAssembly();
        var port = ListenPorts.Next();
        var operatorKey = extra.TryGetValue("ChatCluster__Gateway__OperatorKey", out var given) ? given : "lt-op-" + Guid.NewGuid().ToString("N");
        var info = new ProcessStartInfo(SelfLauncher.DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var (key, value) in LoadEnvironment(port, operatorKey)) info.Environment[key] = value;
        foreach (var (key, value) in extra) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the ChatCluster gateway.");
        var gateway = new GatewayProcess(process, new Uri($"http://127.0.0.1:{port}/"), operatorKey);
        try
        {
            await gateway.WaitHealthyAsync(cancellationToken);
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartBudget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited) throw new InvalidOperationException($"The gateway exited with {_process.ExitCode} before it was healthy: {Output()}");
            try
            {
                using var response = await http.GetAsync(new Uri(Url, "/health"), cancellationToken);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested) { }
            await Task.Delay(250, cancellationToken);
        }
        throw new TimeoutException($"The gateway was not healthy within {StartBudget}: {Output()}");
    }

    /// <summary>
    /// client-gateway's build output next to this program's (same configuration first). The gateway is a
    /// build dependency of loadtests, so `dotnet run --project loadtests/…` builds it too.
    /// </summary>
    public static string FindGatewayAssembly()
    {
        var configured = Environment.GetEnvironmentVariable("CHATCLUSTER_GATEWAY_DLL");
        if (!string.IsNullOrEmpty(configured)) return File.Exists(configured) ? configured : throw new FileNotFoundException("CHATCLUSTER_GATEWAY_DLL does not exist.", configured);
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "ChatCluster.sln"))) continue;
            var candidates = new[] { configuration, configuration == "Release" ? "Debug" : "Release" }
                .Select(c => Path.Combine(dir.FullName, "client-gateway", "bin", c, "net10.0", "ChatCluster.Gateway.dll"));
            return candidates.FirstOrDefault(File.Exists)
                ?? throw new FileNotFoundException($"Build the gateway first: dotnet build -c {configuration} client-gateway (looked in {dir.FullName}/client-gateway/bin).");
        }
        throw new FileNotFoundException("ChatCluster.sln not found above " + here + "; set CHATCLUSTER_GATEWAY_DLL to the gateway's ChatCluster.Gateway.dll.");
    }


    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output) if (_output.Count < 200) _output.Add(line);
    }

    private string Output()
    {
        lock (_output) return string.Join(Environment.NewLine, _output.TakeLast(40));
    }

    public async ValueTask DisposeAsync()
    {
        // The load is over; the in-memory cluster has nothing to save.
        SelfLauncher.KillQuietly(_process);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await _process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { }
        _process.Dispose();
    }
}
