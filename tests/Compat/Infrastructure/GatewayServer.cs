using System.Diagnostics;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// The ZkGateway process: <c>dotnet src/Gateway/bin/&lt;Configuration&gt;/net10.0/ZkGateway.dll --clientPort=N --dataDir=DIR --tickTime=2000 --4lw.commands.whitelist=*</c>,
/// built with <c>dotnet build src/Gateway -c &lt;Configuration&gt;</c> when the dll is missing.
/// </summary>
public sealed class GatewayServer : ProcessZkTarget
{
    private static readonly SemaphoreSlim BuildLock = new(1, 1);

    private readonly IReadOnlyList<KeyValuePair<string, string>> _properties;

    /// <param name="properties">Extra settings, passed as <c>--key=value</c> (the names are ZooKeeper's).</param>
    public GatewayServer(IReadOnlyList<KeyValuePair<string, string>>? properties = null)
        : base("gw")
    {
        _properties = properties ?? [];
    }

    public override TargetKind Kind => TargetKind.Gateway;

    /// <summary>Set to test a gateway built elsewhere (e.g. a published one); it is then never built by the tests.</summary>
    public const string DllOverrideVariable = "ZKGATEWAY_DLL";

    public static string DllPath =>
        Environment.GetEnvironmentVariable(DllOverrideVariable) is { Length: > 0 } overridden
            ? Path.GetFullPath(overridden)
            : Path.Combine(RepoPaths.RepoRoot, "src", "Gateway", "bin", RepoPaths.Configuration, "net10.0", "ZkGateway.dll");

    /// <summary>The sidecar gateway (src/Gateway.Aws): the same front end with the AWS provider set.</summary>
    public static string AwsDllPath =>
        Path.Combine(RepoPaths.RepoRoot, "src", "Gateway.Aws", "bin", RepoPaths.Configuration, "net10.0", "ZkGateway.Aws.dll");

    protected override Task PrepareAsync() => EnsureBuiltAsync(DllPath, Path.Combine(RepoPaths.RepoRoot, "src", "Gateway"), DllOverrideVariable);

    /// <summary>
    /// Builds <paramref name="project"/> when <paramref name="dll"/> is missing (one build at a time); a dll
    /// given through <paramref name="overrideVariable"/> is never built.
    /// </summary>
    internal static async Task EnsureBuiltAsync(string dll, string project, string? overrideVariable = null)
    {
        await BuildLock.WaitAsync();
        try
        {
            if (File.Exists(dll))
            {
                return;
            }

            if (overrideVariable is not null && Environment.GetEnvironmentVariable(overrideVariable) is { Length: > 0 })
            {
                throw new InvalidOperationException($"{overrideVariable} points to {dll}, which does not exist");
            }

            if (!Directory.Exists(project))
            {
                throw new InvalidOperationException($"{dll} is missing and there is no project at {project} to build it from");
            }

            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = RepoPaths.RepoRoot,
            };
            foreach (var a in new[] { "build", project, "-c", RepoPaths.Configuration, "-nologo", "-v", "quiet" })
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet build");
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            if (p.ExitCode != 0 || !File.Exists(dll))
            {
                throw new InvalidOperationException(
                    $"{dll} is missing and `dotnet build {project} -c {RepoPaths.Configuration}` failed (exit {p.ExitCode}):\n{await stdout}{await stderr}");
            }
        }
        finally
        {
            BuildLock.Release();
        }
    }

    protected override ProcessStartInfo CreateStartInfo()
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = WorkDir };
        psi.ArgumentList.Add(DllPath);
        psi.ArgumentList.Add($"--clientPort={Port}");
        psi.ArgumentList.Add($"--dataDir={DataDir}");
        psi.ArgumentList.Add("--tickTime=2000");
        // Like ZooKeeper 3.8, the gateway whitelists only srvr by default; readiness needs ruok.
        psi.ArgumentList.Add("--4lw.commands.whitelist=*");
        psi.ArgumentList.Add("--zookeeper.DigestAuthenticationProvider.superDigest=" + CompatSettings.SuperDigest);
        // The AdminServer is on by default on port 8080: off here, so that gateways started side by side
        // do not fight for it (the AdminServer scenarios turn it on with a free port).
        psi.ArgumentList.Add("--admin.enableServer=false");
        foreach (var (key, value) in _properties)
        {
            psi.ArgumentList.Add($"--{key}={value}");
        }
        return psi;
    }
}
