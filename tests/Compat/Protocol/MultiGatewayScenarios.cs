using System.Diagnostics;
using System.Text;
using ZkGateway.Backend.Aws;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// Many gateways, one serverless backend (issue 3): two gateways on the same deployment (the AWS
/// provider set on the emulators) and kazoo. A session moves from one gateway to the other and keeps
/// its ephemeral and its watch (which fires exactly once); a killed gateway's session expires after
/// its timeout, its ephemeral goes and a watcher on the other gateway is told. Gateway-only: real
/// ZooKeeper's counterpart would be an ensemble, which the shared scenarios do not run.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class MultiGatewayScenarios
{
    /// <summary>Both write paths: the functions behind the queues, and each gateway writing itself (key-value storage).</summary>
    public static TheoryData<WritePathMode> WritePaths() => new() { WritePathMode.Queue, WritePathMode.Gateway };

    private static AwsGatewayServer NewGateway(WritePathMode writePath) =>
        writePath == WritePathMode.Gateway
            ? new AwsGatewayServer(UserStorageMode.KeyValue, AwsGatewayServer.FastExpiry, writePath)
            : new AwsGatewayServer(properties: AwsGatewayServer.FastExpiry);

    [Theory]
    [MemberData(nameof(WritePaths))]
    public async Task A_session_moves_between_gateways_and_a_dead_gateways_sessions_expire(WritePathMode writePath)
    {
        // Its own deployment: the killed gateway's session expires later, at a moment of its own, and
        // would consume a zxid in the middle of another test on the shared one.
        await using var a = NewGateway(writePath);
        await a.StartAsync();
        await using var b = new AwsGatewayServer(a);
        await b.StartAsync();
        var proxy = new TcpCutProxy(a.Port);
        bool proxyGone = false;
        try
        {
            string prefix = $"/multi-{Guid.NewGuid():N}"[..30];
            var transcript = await RunAsync([proxy.ConnectString, a.ConnectString, b.ConnectString, prefix], async request =>
            {
                switch (request)
                {
                    case "@drop-a":
                        proxyGone = true;
                        await proxy.DisposeAsync();
                        break;
                    case "@kill-b":
                        await b.KillAsync();
                        break;
                    default:
                        throw new InvalidOperationException($"unknown harness request {request}");
                }
            });
            string all = string.Join('\n', transcript);
            Assert.True(transcript.Contains("done"), $"the scenario did not finish:\n{all}\n--- functions ---\n{a.FunctionsLog}");
            Assert.Equal(
                [
                    "mover connected through A, ephemeral and data watch set",
                    "mover reconnected: True",
                    "same session: True",
                    "ephemeral survives: True",
                    "watch events at the move: [('NONE', None)]",
                    "watch events after the move: [('CHANGED', '/T/data')]",
                    "first watch after the move: [('NONE', None)]",
                    "mover reads: v2",
                    "short session owns an ephemeral on B; watcher on A",
                    "watcher told: True [('DELETED', '/T/e2')]",
                    "ephemeral after expiry: None",
                    "done",
                ],
                transcript);
        }
        finally
        {
            if (!proxyGone)
            {
                await proxy.DisposeAsync();
            }
        }
    }

    [Theory]
    [MemberData(nameof(WritePaths))]
    public async Task A_watch_moved_with_SetWatches_fires_once_on_the_new_gateway(WritePathMode writePath)
    {
        // Its own deployment: the killed gateway's session expires later, at a moment of its own, and
        // would consume a zxid in the middle of another test on the shared one.
        await using var a = NewGateway(writePath);
        await a.StartAsync();
        await using var b = new AwsGatewayServer(a);
        await b.StartAsync();
        string path = $"/multi-sw-{Guid.NewGuid():N}"[..32];

        await using var writer = await RawZkClient.ConnectAsync(a.Port);
        Assert.Equal(ErrorCode.Ok, (await writer.CreateAsync(path, [0])).Error);

        long sessionId;
        byte[] password;
        long seen;
        await using (var first = await RawZkClient.ConnectAsync(a.Port, timeoutMs: 20000))
        {
            Assert.Equal(ErrorCode.Ok, (await first.GetDataAsync(path, watch: true)).Error);
            (sessionId, password, seen) = (first.SessionId, first.Password, first.LastZxid);
        }

        // The same session on gateway B, with its watch re-registered as a reconnecting client does.
        await using var moved = await RawZkClient.ConnectAsync(b.Port, timeoutMs: 20000, sessionId: sessionId, password: password, lastZxidSeen: seen);
        Assert.Equal(sessionId, moved.SessionId);
        var reply = await moved.SendAsync(OpCode.SetWatches, new SetWatches(seen, [path], [], []), xid: Xids.SetWatches);
        Assert.Equal(ErrorCode.Ok, reply.Error);

        await writer.SetDataAsync(path, [1]);
        await writer.SetDataAsync(path, [2]);
        // The first change fires the one-shot watch; wait for it, then give a duplicate time to show.
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var fired = await moved.Events.Reader.ReadAsync(wait.Token);
        Assert.Equal((EventType.NodeDataChanged, path), (fired.Type, fired.Path));
        await Task.Delay(2000);
        await moved.PingAsync();
        Assert.False(moved.Events.Reader.TryRead(out var extra), $"a second event: {extra}");
    }

    private static async Task<List<string>> RunAsync(string[] args, Func<string, Task> harness)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.RepoRoot, "tests", "Compat", "clients", "python", "multigateway.py"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start python3");
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        p.BeginErrorReadLine();
        var transcript = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            while (await p.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.StartsWith('@'))
                {
                    await harness(line.Trim());
                    await p.StandardInput.WriteLineAsync("ok");
                    await p.StandardInput.FlushAsync();
                    continue;
                }
                transcript.Add(line);
            }
        }
        catch (OperationCanceledException)
        {
            transcript.Add("!! timed out");
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            lock (stderr)
            {
                transcript.Add($"!! exit {p.ExitCode}: {stderr}");
            }
        }
        return transcript;
    }
}
