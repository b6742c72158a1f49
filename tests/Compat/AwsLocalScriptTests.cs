using System.Diagnostics;
using ZkGateway.Compat.Infrastructure;

namespace ZkGateway.Compat;

/// <summary>
/// scripts/aws-local.sh for real (about 20 s): start the local serverless stack in a private state
/// directory, create and read a node with kazoo, stop it, and check that every process it recorded
/// is gone and a second start/stop is harmless.
/// </summary>
// In the compat collection: not in parallel with the scenario targets (heavy processes on 2 cores).
[Collection(CompatCollection.Name)]
public sealed class AwsLocalScriptTests
{
    private static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args, string stateDir, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.RepoRoot,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["ZKGW_LOCAL_DIR"] = stateDir;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Start_serves_kazoo_and_stop_leaves_nothing_running()
    {
        string state = RepoPaths.NewTempDir("awslocal");
        string script = Path.Combine(RepoPaths.RepoRoot, "scripts", "aws-local.sh");
        int port = Net.FreePort();
        var recorded = new List<int>();
        try
        {
            var start = await RunAsync("bash", [script, "start", $"--clientPort={port}"], state, TimeSpan.FromMinutes(5));
            Assert.True(start.Code == 0, start.Output);
            Assert.Contains($"127.0.0.1:{port}", start.Output);
            foreach (var pidFile in Directory.GetFiles(state, "*.pid", SearchOption.AllDirectories))
            {
                recorded.Add(int.Parse(File.ReadAllText(pidFile).Trim()));
            }
            foreach (var line in File.ReadAllLines(Path.Combine(state, "local", "pids")))
            {
                recorded.Add(int.Parse(line.Split(' ')[0]));
            }
            Assert.True(recorded.Count >= 5, $"gateway, function host and the emulators' processes: {string.Join(",", recorded)}");

            var again = await RunAsync("bash", [script, "start", $"--clientPort={port}"], state, TimeSpan.FromMinutes(1));
            Assert.True(again.Code == 0, again.Output);
            Assert.Contains("running", again.Output);

            var kazoo = await RunAsync("/usr/bin/python3", ["-c",
                "from kazoo.client import KazooClient\n" +
                $"z = KazooClient(hosts='127.0.0.1:{port}', timeout=10); z.start(timeout=15)\n" +
                "z.create('/smoke/n', b'local-stack', makepath=True)\n" +
                "print(z.get('/smoke/n')[0].decode(), sorted(z.get_children('/')))\n" +
                "z.stop()\n"], state, TimeSpan.FromMinutes(1));
            Assert.True(kazoo.Code == 0, kazoo.Output);
            Assert.Contains("local-stack ['smoke', 'zookeeper']", kazoo.Output);
        }
        finally
        {
            var stop = await RunAsync("bash", [script, "stop"], state, TimeSpan.FromMinutes(2));
            Assert.True(stop.Code == 0, stop.Output);
        }
        foreach (int pid in recorded)
        {
            Assert.False(IsAlive(pid), $"pid {pid} still runs after stop");
        }
        Assert.Null(await Net.FourLetterAsync(port, "ruok", TimeSpan.FromSeconds(2)));
        var stopAgain = await RunAsync("bash", [script, "stop"], state, TimeSpan.FromMinutes(1));
        Assert.True(stopAgain.Code == 0, stopAgain.Output);
        Directory.Delete(state, recursive: true);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
