using System.Collections.Concurrent;
using System.Diagnostics;

namespace ChatCluster.Integration.Tests;

/// <summary>
/// Every silo and redis-server a test starts, killed when the test process ends. A fixture whose start fails halfway
/// (one silo up, the next one refused) is not always disposed by the test framework; without this its processes
/// would outlive the run and load the machine for every test after it.
/// </summary>
public static class ChildProcesses
{
    private static readonly ConcurrentDictionary<int, Process> Running = new();

    static ChildProcesses() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    public static Process Track(Process process)
    {
        Running[process.Id] = process;
        return process;
    }

    public static void Forget(Process process) => Running.TryRemove(process.Id, out _);

    private static void KillAll()
    {
        foreach (var process in Running.Values)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // gone already
            }
        }
    }
}
