using System.Diagnostics;
using System.Text;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>
/// Runs Debian's <c>zkCli.sh</c> (the Java CLI) with commands piped on stdin, one JVM for all of them
/// (environment.md §2), and turns its output into a deterministic transcript.
/// </summary>
public static class ZkCli
{
    public const string Script = "/usr/share/zookeeper/bin/zkCli.sh";

    /// <summary>
    /// zkCli.sh's own command (ZooKeeperMain, CLIENT_JVMFLAGS) with netty-codec and netty-resolver added:
    /// Debian's zkCli.sh fixes its class path to zookeeper.jar, whose manifest leaves them out, so its
    /// Netty client (TLS) cannot load and every command ends in ConnectionLoss.
    /// </summary>
    public const string TlsCapableLauncher =
        "java -cp /etc/zookeeper/conf:" + ScenarioClients.JavaClientClassPath + " $CLIENT_JVMFLAGS org.apache.zookeeper.ZooKeeperMain";

    // Absolute zxids, times and session ids differ between servers and runs.
    private static readonly string[] Volatile = ["cZxid =", "ctime =", "mZxid =", "mtime =", "pZxid =", "ephemeralOwner ="];

    public static string NewPrefix() => $"/compat-zkcli-{Guid.NewGuid().ToString("N")[..8]}";

    /// <param name="commands">zkCli commands; <c>{P}</c> is replaced by a unique prefix, printed back as <c>/T</c>.</param>
    /// <param name="prefix">The node prefix; a fresh one by default (see <see cref="NewPrefix"/>).</param>
    /// <param name="jvmFlags">Extra JVM flags for the CLI (CLIENT_JVMFLAGS), e.g. a JAAS file for SASL.</param>
    /// <param name="connectString">The <c>-server</c> argument; the target's own by default.</param>
    /// <param name="environment">Extra environment, e.g. <c>CLIENT_JVMFLAGS</c> with the client's TLS keys.</param>
    /// <param name="launcher">The shell command that starts the CLI; <see cref="Script"/> by default.</param>
    public static async Task<ScenarioResult> RunAsync(IZkTarget target, IEnumerable<string> commands, string? prefix = null, string? jvmFlags = null,
        string? connectString = null, IReadOnlyDictionary<string, string>? environment = null, string launcher = Script)
    {
        prefix ??= NewPrefix();
        // zkCli prints results on stdout and errors ("Node already exists: ...") on stderr: merge them in order.
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec {launcher} -server {connectString ?? target.ConnectString} 2>&1");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }
        if (jvmFlags is not null)
        {
            psi.Environment["CLIENT_JVMFLAGS"] = jvmFlags;
        }
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {Script}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        foreach (var c in commands)
        {
            await p.StandardInput.WriteLineAsync(c.Replace("{P}", prefix, StringComparison.Ordinal));
        }

        await p.StandardInput.WriteLineAsync("quit");
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var transcript = new List<string>();
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            transcript.Add("!! timed out");
        }

        var all = (await stdout).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        // Command output follows the banner; the watcher's connection events may print anywhere in between.
        var start = all.FindIndex(l => l.StartsWith("JLine support is disabled", StringComparison.Ordinal));
        foreach (var line in all.Skip(start + 1))
        {
            if (line.Length == 0 || line == "WATCHER::" || line.StartsWith("WatchedEvent state:", StringComparison.Ordinal)
                || line.StartsWith("SLF4J:", StringComparison.Ordinal) || Volatile.Any(v => line.StartsWith(v, StringComparison.Ordinal)))
            {
                continue;
            }

            transcript.Add(line.Replace(prefix, "/T", StringComparison.Ordinal));
        }

        if (start < 0)
        {
            transcript.Add("!! no zkCli banner");
        }

        transcript.Add($"exit code -> {(p.HasExited ? p.ExitCode : -1)}");
        return new ScenarioResult(transcript, $"{await stderr}\n--- raw stdout ---\n{string.Join('\n', all)}", 0, sw.Elapsed);
    }
}
