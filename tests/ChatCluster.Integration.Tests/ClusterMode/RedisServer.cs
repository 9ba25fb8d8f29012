using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ChatCluster.Gateway.Hosting;

namespace ChatCluster.Integration.Tests.ClusterMode;

/// <summary>
/// A real redis-server of the test's own on a free loopback port, without persistence, that a test
/// can kill and start again on the same port (a Redis restart loses everything, as in production
/// without persistence). Binary: CHATCLUSTER_TEST_REDIS_SERVER or /usr/bin/redis-server.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? process;

    public int Port { get; } = ListenPorts.Next();

    public string ConnectionString => $"127.0.0.1:{Port}";

    public static string Binary => Environment.GetEnvironmentVariable("CHATCLUSTER_TEST_REDIS_SERVER") is { Length: > 0 } configured
        ? configured
        : "/usr/bin/redis-server";

    public async Task Start()
    {
        if (process is { HasExited: false }) return;
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
            start.ArgumentList.Add(arg);
        process = ChildProcesses.Track(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Binary}."));
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{Binary} exited with {process.ExitCode} on port {Port}.");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"redis-server did not listen on {Port} within 10 s.");
    }

    /// <summary>Kills the server without a goodbye, like a crash.</summary>
    public async Task Kill()
    {
        if (process is null || process.HasExited) return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        ChildProcesses.Forget(process);
        process.Dispose();
        process = null;
    }

    public async ValueTask DisposeAsync() => await Kill();

}
