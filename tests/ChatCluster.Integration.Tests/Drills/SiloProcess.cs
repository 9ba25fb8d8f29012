using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using ChatCluster.Integration.Tests.ClusterMode;
using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Integration.Tests.Drills;

/// <summary>
/// The standalone silo (<c>silo/ChatCluster.Silo</c>, built next to this test project) as a separate OS
/// process, configured through <c>ChatCluster__…</c> environment variables exactly as an operator would.
/// It can be killed without warning (a crash) or stopped with SIGTERM (a graceful shutdown).
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private SiloProcess(Process process, int siloPort, int httpPort)
    {
        this.process = process;
        SiloPort = siloPort;
        HttpPort = httpPort;
    }

    public int SiloPort { get; }
    public int HttpPort { get; }
    public Uri HealthUri => new($"http://127.0.0.1:{HttpPort}/health");
    public bool HasExited => process.HasExited;

    /// <summary>What the process wrote so far (for failure messages).</summary>
    public string Output { get { lock (output) return output.ToString(); } }

    /// <summary>The built silo: <c>CHATCLUSTER_TEST_SILO_DLL</c>, or the same configuration and framework as this test assembly.</summary>
    public static string Dll
    {
        get
        {
            if (Environment.GetEnvironmentVariable("CHATCLUSTER_TEST_SILO_DLL") is { Length: > 0 } configured) return configured;
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var framework = here.Name;
            var configuration = here.Parent!.Name;
            var root = here;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "ChatCluster.sln"))) root = root.Parent;
            if (root is null) throw new InvalidOperationException($"No ChatCluster.sln above {AppContext.BaseDirectory}; set CHATCLUSTER_TEST_SILO_DLL.");
            var dll = Path.Combine(root.FullName, "silo", "ChatCluster.Silo", "bin", configuration, framework, "ChatCluster.Silo.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"The silo is not built at {dll}; build the solution or set CHATCLUSTER_TEST_SILO_DLL.", dll);
        }
    }

    public static SiloProcess Start(IReadOnlyDictionary<string, string> settings)
    {
        var siloPort = ListenPorts.Next();
        var httpPort = ListenPorts.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ChatCluster__Silo__Storage"] = "Postgres";
        start.Environment["ChatCluster__Silo__SiloPort"] = siloPort.ToString();
        start.Environment["ChatCluster__Silo__GatewayPort"] = ListenPorts.Next().ToString();
        start.Environment["ChatCluster__Silo__AdvertisedAddress"] = "127.0.0.1";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__")] = value;

        var process = ChildProcesses.Track(Process.Start(start) ?? throw new InvalidOperationException("Could not start the silo process."));
        var silo = new SiloProcess(process, siloPort, httpPort);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Kills the process tree without warning: no goodbye to the cluster, no grain deactivation.</summary>
    public async Task Kill()
    {
        if (process.HasExited) return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as an orchestrator stops a container: the host shuts the silo down gracefully.</summary>
    public async Task Stop(TimeSpan within)
    {
        if (process.HasExited) return;
        if (SendSignal(process.Id, SigTerm) != 0) throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed.");
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await Kill();
            throw new TimeoutException($"The silo on port {SiloPort} did not stop within {within.TotalSeconds} s. Output:\n{Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        ChildProcesses.Forget(process);
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
    }

    private const int SigTerm = 15;

#pragma warning disable SYSLIB1054 // one blittable call; LibraryImport would need unsafe code in the test project
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054
}
