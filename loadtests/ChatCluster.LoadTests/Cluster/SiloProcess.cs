using System.Diagnostics;
using System.Globalization;
using ChatCluster.Gateway.Hosting;
using ChatCluster.LoadTests.Distributed;

namespace ChatCluster.LoadTests.Cluster;

/// <summary>
/// The standalone silo (<c>silo/ChatCluster.Silo</c>, built with the harness) as a child process on free loopback
/// ports, configured through <c>ChatCluster__…</c> environment variables as docs/cluster.md describes. It can be
/// killed without warning (<see cref="KillAsync"/>: SIGKILL, as <c>kill -9</c>) for the recovery drill.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(120);
    private readonly Process _process;
    private readonly List<string> _output = [];

    private SiloProcess(Process process, string name, int siloPort, int httpPort)
    {
        _process = process;
        Name = name;
        SiloPort = siloPort;
        HttpPort = httpPort;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }
    public int SiloPort { get; }
    public int HttpPort { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;
    public Uri MetricsUrl => new($"http://127.0.0.1:{HttpPort}/metrics");

    /// <summary>Lines the silo wrote that look like failures (for the report: a drill or a durable run should have none).</summary>
    public IReadOnlyList<string> FailureLines()
    {
        lock (_output) return _output.Where(l => l.Contains("fail:", StringComparison.Ordinal) || l.Contains("crit:", StringComparison.Ordinal)).ToList();
    }

    public static async Task<SiloProcess> StartAsync(string name, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        var dll = FindSiloAssembly();
        var siloPort = ListenPorts.Next();
        var httpPort = ListenPorts.Next();
        var info = new ProcessStartInfo(SelfLauncher.DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["ChatCluster__Silo__Storage"] = "Postgres";
        info.Environment["ChatCluster__Postgres__MigrateOnStart"] = "true";
        info.Environment["ChatCluster__Silo__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture);
        info.Environment["ChatCluster__Silo__GatewayPort"] = ListenPorts.Next().ToString(CultureInfo.InvariantCulture);
        info.Environment["ChatCluster__Silo__AdvertisedAddress"] = "127.0.0.1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Warning";
        foreach (var (key, value) in settings) info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the silo.");
        var silo = new SiloProcess(process, name, siloPort, httpPort);
        try
        {
            await silo.WaitHealthyAsync(cancellationToken);
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartBudget)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited) throw new InvalidOperationException($"Silo {Name} exited with {_process.ExitCode} during start: {Output()}");
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/health"), cancellationToken);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested) { }
            await Task.Delay(250, cancellationToken);
        }
        throw new TimeoutException($"Silo {Name} was not healthy within {StartBudget}: {Output()}");
    }

    /// <summary>SIGKILL: no goodbye to the cluster, no grain deactivation (a crash).</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await _process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { }
    }

    /// <summary>client-gateway's sibling: silo/ChatCluster.Silo's build output (CHATCLUSTER_SILO_DLL to override).</summary>
    public static string FindSiloAssembly()
    {
        var configured = Environment.GetEnvironmentVariable("CHATCLUSTER_SILO_DLL");
        if (!string.IsNullOrEmpty(configured)) return File.Exists(configured) ? configured : throw new FileNotFoundException("CHATCLUSTER_SILO_DLL does not exist.", configured);
        var gateway = Gateway.GatewayProcess.FindGatewayAssembly();
        // …/client-gateway/bin/<configuration>/net10.0/ChatCluster.Gateway.dll → …/silo/ChatCluster.Silo/bin/<configuration>/net10.0/
        var framework = Path.GetDirectoryName(gateway)!;
        var configuration = Path.GetFileName(Path.GetDirectoryName(framework)!);
        var root = Path.GetFullPath(Path.Combine(framework, "..", "..", "..", ".."));
        var dll = Path.Combine(root, "silo", "ChatCluster.Silo", "bin", configuration, Path.GetFileName(framework), "ChatCluster.Silo.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the silo first: dotnet build -c {configuration} silo/ChatCluster.Silo (looked for {dll}).");
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output) if (_output.Count < 2000) _output.Add(line);
    }

    private string Output()
    {
        lock (_output) return string.Join(Environment.NewLine, _output.TakeLast(40));
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
