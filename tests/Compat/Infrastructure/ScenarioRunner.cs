using System.Diagnostics;
using System.Text;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>What one scenario program printed.</summary>
public sealed record ScenarioResult(IReadOnlyList<string> Transcript, string Stderr, int ExitCode, TimeSpan Elapsed)
{
    public string Describe() =>
        $"exit code {ExitCode} after {Elapsed.TotalSeconds:F1} s\n--- transcript ---\n{string.Join('\n', Transcript)}\n--- stderr (tail) ---\n{Tail(Stderr, 4000)}";

    private static string Tail(string s, int n) => s.Length <= n ? s : "..." + s[^n..];
}

/// <summary>
/// Runs a client's scenario program: <c>program &lt;scenario&gt; &lt;direct connect&gt; &lt;proxied connect&gt; &lt;prefix&gt;</c>.
/// Stdout lines are the transcript; a line starting with <c>@</c> is a request to the harness
/// (<c>@cut</c>, <c>@blackhole</c>, <c>@restore</c> on the proxy), acknowledged by writing <c>ok</c> on stdin.
/// The run's unique node prefix is replaced by <c>/T</c> so the transcripts are comparable.
/// </summary>
public static class ScenarioRunner
{
    public static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(90);

    /// <param name="connectString">The direct connect string instead of the target's (e.g. its TLS port).</param>
    /// <param name="environment">Extra environment variables for the program.</param>
    public static async Task<ScenarioResult> RunAsync(ClientKind client, string scenario, IZkTarget target,
        string? connectString = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (file, leading, workDir) = await ScenarioClients.CommandAsync(client);
        var prefix = $"/compat-{client.ToString().ToLowerInvariant()}-{scenario}-{Guid.NewGuid():N}"[..40];
        await using var proxy = new TcpCutProxy(target.Port);

        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in leading.Concat([scenario, connectString ?? target.ConnectString, proxy.ConnectString, prefix]))
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        p.BeginErrorReadLine();

        var transcript = new List<string>();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            while (await p.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.StartsWith('@'))
                {
                    switch (line.Trim())
                    {
                        case "@cut":
                            proxy.CutAll();
                            break;
                        case "@blackhole":
                            proxy.BlackHole();
                            break;
                        case "@restore":
                            proxy.Restore();
                            break;
                        default:
                            transcript.Add($"!! unknown harness request {line}");
                            break;
                    }

                    await p.StandardInput.WriteLineAsync("ok");
                    await p.StandardInput.FlushAsync(cts.Token);
                    continue;
                }

                transcript.Add(line.Replace(prefix, "/T", StringComparison.Ordinal));
            }

            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            transcript.Add($"!! timed out after {Timeout.TotalSeconds} s");
        }
        catch (IOException)
        {
            // stdin closed because the program exited; the exit code says the rest.
            await p.WaitForExitAsync();
        }

        await Task.Delay(20); // let the stderr reader finish
        string err;
        lock (stderr)
        {
            err = stderr.ToString();
        }

        return new ScenarioResult(transcript, err, p.HasExited ? p.ExitCode : -1, sw.Elapsed);
    }
}
