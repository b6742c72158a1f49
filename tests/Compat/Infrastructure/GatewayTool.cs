using System.Diagnostics;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>Runs one of the gateway executable's operator commands (<c>zkgateway backup|restore|import…</c>) as an operator would.</summary>
public static class GatewayTool
{
    /// <summary>The exit code and everything the command printed (standard output, then standard error).</summary>
    public static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        await GatewayServer.EnsureBuiltAsync(GatewayServer.DllPath, Path.Combine(RepoPaths.RepoRoot, "src", "Gateway"), GatewayServer.DllOverrideVariable);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(GatewayServer.DllPath);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
