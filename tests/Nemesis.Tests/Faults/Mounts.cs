using System.Diagnostics;

namespace ZkGateway.Nemesis.Faults;

/// <summary>mount and umount, for the nemeses that put a server's data directory on its own file system (needs root).</summary>
internal static class Mounts
{
    public static void Tmpfs(string dir, string size) => Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", dir);

    /// <summary>Lazy: the server may still hold files open when the run cleans up.</summary>
    public static void Unmount(string dir) => Run("umount", "-l", dir);

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {p.ExitCode}: {error}");
        }
    }
}
