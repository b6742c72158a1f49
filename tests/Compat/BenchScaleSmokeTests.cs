using System.Diagnostics;
using System.Text.RegularExpressions;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat;

/// <summary>
/// scripts/bench-scale.sh at a tiny size (3,000 znodes, about 30 s): both servers start, populate, take
/// setData load, are killed and answer a read again, and every row of the table has a figure on both
/// sides. It checks that the benchmark runs; no figure is judged (speed lives in docs/performance.md).
/// </summary>
[Collection(CompatCollection.Name)]
public sealed partial class BenchScaleSmokeTests
{
    [Fact]
    public async Task The_scale_benchmark_runs_end_to_end_at_a_small_size()
    {
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.RepoRoot,
        };
        psi.ArgumentList.Add("scripts/bench-scale.sh");
        psi.Environment["SCALE_ZNODES"] = "3000";
        psi.Environment["SCALE_PARENTS"] = "10";
        psi.Environment["SCALE_CONNECTIONS"] = "2";
        psi.Environment["SCALE_OUTSTANDING"] = "16";
        psi.Environment["SCALE_SET_DURATION"] = "1s";
        psi.Environment["SCALE_SESSIONS"] = "200";
        psi.Environment["SCALE_CHILDREN"] = "1000";
        psi.Environment["SCALE_ZK_XMX"] = "512m";
        psi.Environment["SCALE_GATEWAY_DLL"] = GatewayServer.DllPath;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        string output = await stdout;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{output}\n{await stderr}");

        foreach (string metric in new[] { "populate, pipelined creates/s", "pipelined creates/s, 1 session", "bytes written to disk per create",
            "RSS after populate, MiB", "data directory, MiB", "pipelined setData/s, tree loaded", "pipelined setData/s, 1 session",
            "getData p50, one in flight, us", "setData p50, one in flight, us", "getChildren p50 of the big parent, ms",
            "watches: time to set them all, s", "watches: fan-out to the last event, s", "sessions: connect + one exists each, s",
            "kill -9 -> first answered getData, ms" })
        {
            var row = output.Split('\n').SingleOrDefault(l => l.StartsWith("| " + metric + " |", StringComparison.Ordinal));
            Assert.True(row is not null, $"no row '{metric}' in:\n{output}");
            Assert.Matches(FiguresOnBothSides(), row);
        }
        Assert.Matches(@"fdatasync 4 KiB p50 [0-9.]+ us", output);
        Assert.Matches(@"\| getData, one in flight / loopback round trip \| [0-9.]+ \| [0-9.]+x \| [0-9.]+x \|", output);
        Assert.Matches(@"\| setData, one in flight / \(loopback round trip \+ fdatasync\) \| [0-9.]+ \| [0-9.]+x \| [0-9.]+x \|", output);
        // A JVM's RSS may not move for 200 sessions or 3,000 watches, so those rows' ratios can be n/a; the
        // gateway's cell is n/a only when its memory trim ran during the phase (the script checks its log).
        foreach (string metric in new[] { "RSS added per open session, KiB", "RSS added per watch, B" })
        {
            Assert.Matches(@"^\| [^|]+ \| [^|]+ \| ([0-9][0-9,.]*|n/a) \|", output.Split('\n').Single(l => l.StartsWith("| " + metric + " |", StringComparison.Ordinal)));
        }
    }

    /// <summary>A row whose ZooKeeper, gateway and ratio cells all hold numbers.</summary>
    [GeneratedRegex(@"^\| [^|]+ \| [0-9][0-9,.]* \| [0-9][0-9,.]* \| [0-9.]+x \|$")]
    private static partial Regex FiguresOnBothSides();
}
