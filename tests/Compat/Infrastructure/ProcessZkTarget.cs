using System.Diagnostics;
using System.Text;

namespace ZkGateway.Compat.Infrastructure;

/// <summary>A server run as a child process on 127.0.0.1:<see cref="Port"/>, ready when it answers <c>ruok</c>.</summary>
public abstract class ProcessZkTarget : IZkTarget
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    protected ProcessZkTarget(string tag)
    {
        Port = Net.FreePort();
        WorkDir = RepoPaths.NewTempDir(tag);
        DataDir = Path.Combine(WorkDir, "data");
        Directory.CreateDirectory(DataDir);
    }

    public abstract TargetKind Kind { get; }

    public int Port { get; }

    public string ConnectString => $"127.0.0.1:{Port}";

    public string DataDir { get; }

    /// <summary>A private scratch directory (holds <see cref="DataDir"/>); deleted on dispose.</summary>
    protected string WorkDir { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Extra environment variables of the server process, from its next start on (e.g. <c>ZKGW_FAILPOINTS</c>, <c>LD_PRELOAD</c>).</summary>
    public Dictionary<string, string> ExtraEnvironment { get; } = [];

    /// <summary>The server's process id while it runs (for the nemesis suite's SIGSTOP and SIGCONT).</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    protected static TimeSpan ReadyTimeout => TimeSpan.FromSeconds(30);

    /// <summary>The command line to start the server.</summary>
    protected abstract ProcessStartInfo CreateStartInfo();

    /// <summary>Work needed before the first start (e.g. building); throws on failure.</summary>
    protected virtual Task PrepareAsync() => Task.CompletedTask;

    public async Task StartAsync()
    {
        if (IsRunning)
        {
            return;
        }

        await PrepareAsync();
        var psi = CreateStartInfo();
        foreach (var (name, value) in ExtraEnvironment)
        {
            psi.Environment[name] = value;
        }
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        psi.UseShellExecute = false;
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => Append(e.Data);
        p.ErrorDataReceived += (_, e) => Append(e.Data);
        Append($"--- start: {psi.FileName} {string.Join(' ', psi.ArgumentList)}");
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;

        var sw = Stopwatch.StartNew();
        string? last = null;
        while (sw.Elapsed < ReadyTimeout)
        {
            if (p.HasExited)
            {
                await Task.Delay(100); // let the output readers drain
                throw new InvalidOperationException($"{Kind} exited with code {p.ExitCode} before answering ruok. Output:\n{Log}");
            }

            last = await Net.FourLetterAsync(Port, "ruok", TimeSpan.FromSeconds(2));
            // ZooKeeper answers ruok before its database is loaded, and closes session requests until
            // then; srvr says "not currently serving requests" in that window.
            if (last == "imok" && (await Net.FourLetterAsync(Port, "srvr", TimeSpan.FromSeconds(2)))?.StartsWith("Zookeeper version:", StringComparison.Ordinal) == true)
            {
                Append($"--- ready after {sw.ElapsedMilliseconds} ms");
                return;
            }

            await Task.Delay(50);
        }

        await KillAsync();
        throw new InvalidOperationException(
            $"{Kind} did not answer ruok with imok within {ReadyTimeout.TotalSeconds} s (last answer: {last ?? "<no connection>"}). Output:\n{Log}");
    }

    public async Task StopAsync()
    {
        var p = _process;
        if (p is null)
        {
            return;
        }

        if (!p.HasExited)
        {
            Net.Signal(p.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
            }
        }

        Append($"--- stopped (exit {p.ExitCode})");
        p.Dispose();
        _process = null;
    }

    public async Task KillAsync()
    {
        var p = _process;
        if (p is null)
        {
            return;
        }

        if (!p.HasExited)
        {
            Net.Signal(p.Id, 9);
            await p.WaitForExitAsync();
        }

        Append("--- killed (SIGKILL)");
        p.Dispose();
        _process = null;
    }

    public async Task RestartAsync(bool kill = false)
    {
        if (kill)
        {
            await KillAsync();
        }
        else
        {
            await StopAsync();
        }

        await StartAsync();
    }

    public virtual async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            try
            {
                Directory.Delete(WorkDir, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        GC.SuppressFinalize(this);
    }

    protected void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            if (_log.Length < 1_000_000)
            {
                _log.AppendLine(line);
            }
        }
    }
}
