using System.Diagnostics;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>The official clients the scenarios are written for.</summary>
public enum ClientKind
{
    Python,
    Java,
    C,
    Node,
    Go,
}

/// <summary>How to run each client's scenario program (building the C and Go ones once per test run).</summary>
public static class ScenarioClients
{
    /// <summary>netty-codec and netty-resolver for ClientCnxnSocketNetty (TLS): Debian's zookeeper.jar manifest leaves them out.</summary>
    public const string JavaClientClassPath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar:/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar";

    private static readonly Lazy<string> BinDir = new(() =>
    {
        var dir = RepoPaths.NewTempDir("bin");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
        return dir;
    });
    private static readonly Lazy<Task<string>> CBinary = new(() => BuildAsync(
        "gcc", ["-DTHREADED", "-O1", "-Wall", "-o", Path.Combine(BinDir.Value, "scenario-c"), Path.Combine(RepoPaths.ClientsDir, "c", "scenario.c"), "-lzookeeper_mt"],
        Path.Combine(BinDir.Value, "scenario-c"), null));

    private static readonly Lazy<Task<string>> GoBinary = new(() => BuildAsync(
        "go", ["build", "-o", Path.Combine(BinDir.Value, "scenario-go"), "scenario.go"],
        Path.Combine(BinDir.Value, "scenario-go"),
        new Dictionary<string, string>
        {
            ["GO111MODULE"] = "off",
            ["GOPATH"] = "/usr/share/gocode",
            ["GOCACHE"] = Path.Combine(BinDir.Value, "gocache"),
            ["GOFLAGS"] = "",
        },
        Path.Combine(RepoPaths.ClientsDir, "go")));

    /// <summary>The executable and leading arguments for a client's scenario program.</summary>
    public static async Task<(string FileName, string[] Args, string WorkDir)> CommandAsync(ClientKind client)
    {
        var dir = Path.Combine(RepoPaths.ClientsDir, client.ToString().ToLowerInvariant());
        return client switch
        {
            ClientKind.Python => ("/usr/bin/python3", ["-u", Path.Combine(dir, "scenario.py")], dir),
            ClientKind.Java => ("java", ["-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", JavaClientClassPath, Path.Combine(dir, "Scenario.java")], dir),
            ClientKind.C => (await CBinary.Value, [], dir),
            ClientKind.Node => ("node", [Path.Combine(dir, "scenario.js")], dir),
            ClientKind.Go => (await GoBinary.Value, [], dir),
            _ => throw new ArgumentOutOfRangeException(nameof(client)),
        };
    }

    private static async Task<string> BuildAsync(string tool, string[] args, string output, Dictionary<string, string>? env, string? workDir = null)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir ?? BinDir.Value,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? [])
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {tool}");
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0 || !File.Exists(output))
        {
            throw new InvalidOperationException(
                $"building the scenario program failed: {tool} {string.Join(' ', args)} (exit {p.ExitCode}); run scripts/install-test-deps.sh?\n{await so}{await se}");
        }

        return output;
    }
}
