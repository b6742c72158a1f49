using System.Collections.Concurrent;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Durability;

/// <summary>
/// Nothing acknowledged is lost, kill -9 included: the gateway is SIGKILLed in the middle of a stream
/// of pipelined writes from several sessions, restarted on the same data directory, and every write it
/// acknowledged must be there, with zxids still growing and sessions still resumable.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class CrashTests
{
    /// <param name="snapSizeLimitInKb">
    /// Null: the default (no snapshot during the test). 16: a snapshot every 16 KiB of log, so the kill
    /// lands among snapshots being taken, and recovery starts from one of them.
    /// </param>
    [Theory]
    [InlineData(null)]
    [InlineData("16")]
    public async Task Sigkill_during_acknowledged_writes_loses_nothing(string? snapSizeLimitInKb)
    {
        await using var gateway = new GatewayServer(snapSizeLimitInKb is null ? null : [new("snapSizeLimitInKb", snapSizeLimitInKb)]);
        await gateway.StartAsync();

        await using (var setup = await RawZkClient.ConnectAsync(gateway.Port))
        {
            Assert.Equal(ErrorCode.Ok, (await setup.CreateAsync("/crash")).Error);
        }
        var survivor = await RawZkClient.ConnectAsync(gateway.Port, timeoutMs: 30000);
        Assert.Equal(ErrorCode.Ok, (await survivor.CreateAsync("/crash-ephemeral", mode: CreateMode.Ephemeral)).Error);

        var acknowledged = new ConcurrentDictionary<string, (byte[] Data, long Zxid)>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            await using var client = await RawZkClient.ConnectAsync(gateway.Port);
            int n = 0;
            try
            {
                while (!stop.IsCancellationRequested && n < 100_000)
                {
                    // Eight writes in flight per session, so the kill lands among pipelined batches.
                    var batch = Enumerable.Range(0, 8).Select(_ =>
                    {
                        string path = $"/crash/w{w}-{n++}";
                        byte[] data = System.Text.Encoding.UTF8.GetBytes(path);
                        return (path, data, reply: client.CreateAsync(path, data));
                    }).ToList();
                    foreach (var (path, data, reply) in batch)
                    {
                        var result = await reply;
                        if (result.Error == ErrorCode.Ok)
                        {
                            acknowledged[path] = (data, result.Header.Zxid);
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or TimeoutException or InvalidDataException)
            {
                // The server died under us: everything not acknowledged may or may not be there.
            }
        })).ToList();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        // With snapshots on, the kill waits for a finished one too, so that recovery starts from it
        // (on a loaded machine 300 creates may come before the first snapshot is written).
        bool SnapshotWritten() => snapSizeLimitInKb is null
            || Directory.GetFiles(gateway.DataDir, "snapshot.*").Any(f => !f.EndsWith(".tmp", StringComparison.Ordinal));
        while ((acknowledged.Count < 300 || !SnapshotWritten()) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        await gateway.KillAsync();
        stop.Cancel();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(acknowledged.Count >= 300, $"only {acknowledged.Count} writes were acknowledged before the kill");
        if (snapSizeLimitInKb is not null)
        {
            Assert.Contains(Directory.GetFiles(gateway.DataDir, "snapshot.*"), f => !f.EndsWith(".tmp", StringComparison.Ordinal));
        }
        long maxAcknowledged = acknowledged.Values.Max(v => v.Zxid);

        await gateway.StartAsync();
        await using var checker = await RawZkClient.ConnectAsync(gateway.Port);
        var missing = new List<string>();
        foreach (var (path, (data, zxid)) in acknowledged)
        {
            var reply = await checker.GetDataAsync(path);
            if (reply.Error != ErrorCode.Ok)
            {
                missing.Add(path);
                continue;
            }
            var node = reply.Decode<GetDataResponse>();
            Assert.Equal(data, node.Data);
            Assert.Equal(zxid, node.Stat.Czxid);
        }
        Assert.Empty(missing);

        var after = await checker.CreateAsync("/crash/after-restart");
        Assert.Equal(ErrorCode.Ok, after.Error);
        Assert.True(after.Header.Zxid > maxAcknowledged, "zxids must keep growing across a crash");

        // The session that was alive before the crash resumes, with its ephemeral node.
        await using var resumed = await RawZkClient.ConnectAsync(gateway.Port, 30000, survivor.SessionId, survivor.Password, lastZxidSeen: survivor.LastZxid);
        Assert.Equal(survivor.SessionId, resumed.SessionId);
        Assert.Equal(ErrorCode.Ok, (await resumed.ExistsAsync("/crash-ephemeral")).Error);
        await survivor.DisposeAsync();
    }
}
