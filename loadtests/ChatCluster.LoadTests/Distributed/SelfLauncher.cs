using System.Diagnostics;

namespace ChatCluster.LoadTests.Distributed;

/// <summary>Starts another process of this same program (worker or baseline mode) through the dotnet host.</summary>
public static class SelfLauncher
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var assembly = typeof(SelfLauncher).Assembly.Location;
        var info = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Environment.CurrentDirectory,
        };
        info.ArgumentList.Add(assembly);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        // The child draws no live display and must not think it has a terminal.
        info.Environment["CHATCLUSTER_LOADTESTS_CHILD"] = "1";
        return info;
    }

    public static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return fromSdk;
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return current;
        return "dotnet";
    }

    /// <summary>Kills a child and its tree if it is still running; never throws.</summary>
    public static void KillQuietly(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }
}
