using System.Diagnostics;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>Runs one of the gateway executable's operator commands (<c>zkgateway backup|restore|import…</c>) as an operator would.</summary>
public static class GatewayTool
{
    /// <summary>The exit code and everything the command printed (standard output, then standard error).</summary>
    public static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        await GatewayServer.EnsureBuiltAsync(GatewayServer.DllPath, Path.Combine(RepoPaths.RepoRoot, "src", "Gateway"), GatewayServer.DllOverrideVariable);
        return await RunDllAsync(GatewayServer.DllPath, new Dictionary<string, string>(), args);
    }

    /// <summary>The same command from the sidecar's executable (ZkGateway.Aws), with more environment (ZKGW_AWS_*, ZKGW_FAILPOINTS).</summary>
    public static async Task<(int Exit, string Output)> RunAwsAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await GatewayServer.EnsureBuiltAsync(GatewayServer.AwsDllPath, Path.Combine(RepoPaths.RepoRoot, "src", "Gateway.Aws"));
        return await RunDllAsync(GatewayServer.AwsDllPath, environment, args);
    }

    private static async Task<(int Exit, string Output)> RunDllAsync(string dll, IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }
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
