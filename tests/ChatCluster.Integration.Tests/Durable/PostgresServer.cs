using System.Diagnostics;
using ChatCluster.Gateway.Hosting;
using Npgsql;

namespace ChatCluster.Integration.Tests.Durable;

/// <summary>
/// A PostgreSQL server of the test's own (initdb into a temporary directory, on a free loopback port), so a test can
/// stop the database under a running silo and start it again without touching the shared server. Binaries: the
/// newest <c>/usr/lib/postgresql/*/bin</c>, or CHATCLUSTER_TEST_PG_BIN. Run as root, the server runs as the
/// <c>postgres</c> user (PostgreSQL refuses to run as root). fsync is off: the test stops it, it never crashes it.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string Role = "chatcluster";
    private readonly string directory = Path.Combine(Path.GetTempPath(), "chatcluster-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private bool initialised;
    private bool running;
    private Process? postmaster;

    public int Port { get; } = ListenPorts.Next();

    public string ConnectionString(string applicationName) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = Role, Database = "postgres", ApplicationName = applicationName, Timeout = 5 }.ConnectionString;

    public static string BinaryDirectory =>
        Environment.GetEnvironmentVariable("CHATCLUSTER_TEST_PG_BIN") is { Length: > 0 } configured
            ? configured
            : Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => Version.TryParse(Path.GetFileName(d), out var v) ? v : new Version(0, 0)).Select(d => Path.Combine(d, "bin")).LastOrDefault()
              ?? throw new InvalidOperationException("No PostgreSQL binaries under /usr/lib/postgresql; set CHATCLUSTER_TEST_PG_BIN.");

    public async Task Start()
    {
        if (running) return;
        if (!initialised)
        {
            Directory.CreateDirectory(directory);
            if (Environment.UserName == "root") await Run("/usr/bin/chown", "postgres:postgres", directory);
            await Pg("initdb", "-D", Path.Combine(directory, "data"), "-U", Role, "--auth=trust", "--no-sync", "-E", "UTF8");
            initialised = true;
        }
        await Pg("pg_ctl", "-D", Path.Combine(directory, "data"), "-l", Path.Combine(directory, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -k {directory} -c fsync=off -c max_connections=60", "start");
        running = true;
        // Killed with the test process should the test never get to stop it.
        var pid = int.Parse(File.ReadLines(Path.Combine(directory, "data", "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        postmaster = ChildProcesses.Track(Process.GetProcessById(pid));
    }

    /// <summary>Stops the server at once (clients are cut off mid-statement, like an outage).</summary>
    public async Task Stop()
    {
        if (!running) return;
        await Pg("pg_ctl", "-D", Path.Combine(directory, "data"), "-m", "immediate", "-w", "-t", "60", "stop");
        running = false;
        if (postmaster is not null) ChildProcesses.Forget(postmaster);
        postmaster?.Dispose();
        postmaster = null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Stop();
        }
        finally
        {
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private Task Pg(string tool, params string[] args) =>
        Environment.UserName == "root"
            ? Run("/usr/sbin/runuser", ["-u", "postgres", "--", Path.Combine(BinaryDirectory, tool), .. args])
            : Run(Path.Combine(BinaryDirectory, tool), args);

    private static async Task Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await output} {await error}");
    }
}
