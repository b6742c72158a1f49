using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// The embedded store's log and snapshots (<see cref="DurableStore"/>): fuzzy snapshots taken while
/// writes go on, a torn last record, damaged files.
/// </summary>
public sealed class DurableStoreTests
{
    [Fact]
    public async Task Snapshots_taken_while_writes_go_on_restore_the_exact_tree()
    {
        // 8 KiB of log per snapshot: dozens of snapshots, each racing the four writers below.
        await using var zk = await EmbeddedBackend.StartAsync(snapshotLogBytes: 8 << 10);
        long session = await zk.NewSessionAsync();
        await zk.CreateAsync(session, "/s");
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            await zk.CreateAsync(session, $"/s/t{w}");
            for (int i = 0; i < 150; i++)
            {
                string path = $"/s/t{w}/n{i % 40}";
                var created = await zk.CreateAsync(session, path, new string('x', i));
                if (created.Result!.Error == ErrorCode.NodeExists)
                {
                    var op = i % 3 == 0 ? (WriteOperation)new DeleteOperation(path, -1) : new SetDataOperation(path, [(byte)i, (byte)w], -1);
                    Assert.Equal(ErrorCode.Ok, (await zk.Backend.SubmitAsync(session, op)).Result!.Error);
                }
            }
        })).ToList();
        await Task.WhenAll(writers);
        var before = await TreeAsync(zk.Backend);

        // Snapshots are written in the background: the last may still be under way.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (SnapshotFile.Files(zk.DataDir).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Assert.NotEmpty(SnapshotFile.Files(zk.DataDir));
        Assert.True(SnapshotFile.Files(zk.DataDir).Count <= 2, "older snapshots are deleted");
        var taken = (await zk.Backend.GetStatisticsAsync()).LastSnapshot;
        Assert.NotNull(taken);
        Assert.True(taken.Zxid > 0 && taken.Zxid <= await zk.Backend.GetLastZxidAsync(), $"last_snapshot's zxid 0x{taken.Zxid:x}");
        await zk.RestartAsync();
        Assert.Equal(before, await TreeAsync(zk.Backend));
        // After a restart it is read from the newest snapshot's header.
        Assert.Equal(SnapshotFile.Read(SnapshotFile.Files(zk.DataDir)[0].Path).Zxid, (await zk.Backend.GetStatisticsAsync()).LastSnapshot!.Zxid);
        await zk.RestartAsync();
        Assert.Equal(before, await TreeAsync(zk.Backend));
    }

    [Fact]
    public async Task Once_writes_pause_a_log_of_an_eighth_of_the_last_snapshot_gets_a_snapshot()
    {
        // A 64 KiB minimum and a tree of about 600 KB: the size rule would wait for 600 KB more log.
        await using var zk = await EmbeddedBackend.StartAsync(snapshotLogBytes: 64 << 10);
        long session = await zk.NewSessionAsync();
        string value = new('v', 2000);
        for (int i = 0; i < 300; i++)
        {
            await zk.CreateAsync(session, $"/n{i}", value);
        }
        long newest = await SettledNewestSnapshotAsync(zk.DataDir);

        // About 100 KB of log: under the last snapshot's size, over an eighth of it.
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(ErrorCode.Ok, (await zk.Backend.SubmitAsync(session, new SetDataOperation($"/n{i}", System.Text.Encoding.UTF8.GetBytes(value), -1))).Result!.Error);
        }
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (SnapshotFile.Files(zk.DataDir)[0].FromSeq == newest && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.True(SnapshotFile.Files(zk.DataDir)[0].FromSeq > newest, "a snapshot once the writes paused");
        var before = await TreeAsync(zk.Backend);
        await zk.RestartAsync();
        Assert.Equal(before, await TreeAsync(zk.Backend));
    }

    /// <summary>The newest snapshot once none has appeared for longer than an idle snapshot needs.</summary>
    private static async Task<long> SettledNewestSnapshotAsync(string dataDir)
    {
        long newest = -1;
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow - quietSince < TimeSpan.FromMilliseconds(DurableStore.IdleSnapshotMs + 2000))
        {
            await Task.Delay(100);
            var files = SnapshotFile.Files(dataDir);
            long now = files.Count == 0 ? -1 : files[0].FromSeq;
            if (now != newest)
            {
                newest = now;
                quietSince = DateTime.UtcNow;
            }
        }
        Assert.True(newest >= 0, "the size rule took a snapshot while the tree was made");
        return newest;
    }

    [Fact]
    public async Task A_torn_last_record_is_cut_off_and_the_rest_kept()
    {
        await using var zk = await EmbeddedBackend.StartAsync();
        long session = await zk.NewSessionAsync();
        await zk.CreateAsync(session, "/kept", "k");
        await zk.StopAsync();
        // What a crash in the middle of a write leaves: a record header that promises more bytes than
        // made it to the file.
        string last = RecordLog.Files(zk.DataDir)[^1].Path;
        await File.AppendAllBytesAsync(last, [0xE8, 0x03, 0, 0, 1, 2, 3, 4, 5, 6]);

        await zk.StartAgainAsync();
        Assert.Equal("k"u8.ToArray(), (await zk.Backend.GetDataAsync("/kept", null)).Value!.Data);
        await zk.CreateAsync(await zk.NewSessionAsync(), "/after", "a");
        await zk.RestartAsync();
        Assert.Equal("k"u8.ToArray(), (await zk.Backend.GetDataAsync("/kept", null)).Value!.Data);
        Assert.Equal("a"u8.ToArray(), (await zk.Backend.GetDataAsync("/after", null)).Value!.Data);
    }

    [Fact]
    public async Task A_damaged_acknowledged_record_stops_start_up_naming_the_file_and_offset()
    {
        await using var zk = await EmbeddedBackend.StartAsync();
        long session = await zk.NewSessionAsync();
        for (int i = 0; i < 20; i++)
        {
            await zk.CreateAsync(session, $"/n{i}", "value");
        }
        await zk.RestartAsync();
        await zk.StopAsync();
        // The first run's file is no longer the last one: its records were acknowledged.
        string first = RecordLog.Files(zk.DataDir)[0].Path;
        byte[] bytes = await File.ReadAllBytesAsync(first);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(first, bytes);

        var error = await Assert.ThrowsAsync<InvalidDataException>(zk.StartAgainAsync);
        Assert.Contains(Path.GetFileName(first), error.Message);
        Assert.Contains("offset", error.Message);

        // Nothing was changed by the failed start: repairing the byte brings everything back.
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(first, bytes);
        await zk.StartAgainAsync();
        Assert.Equal(ErrorCode.Ok, (await zk.Backend.ExistsAsync("/n19", null)).Error);
    }

    [Fact]
    public async Task A_damaged_newest_snapshot_falls_back_to_the_one_before_it()
    {
        await using var zk = await EmbeddedBackend.StartAsync(snapshotLogBytes: 4 << 10);
        long session = await zk.NewSessionAsync();
        int i = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (SnapshotFile.Files(zk.DataDir).Count < 2 && DateTime.UtcNow < deadline)
        {
            await zk.CreateAsync(session, $"/n{i++}", new string('v', 100));
        }
        for (int j = 0; j < 10; j++)
        {
            await zk.CreateAsync(session, $"/n{i++}", "tail");
        }
        var before = await TreeAsync(zk.Backend);
        await zk.StopAsync();
        var snapshots = SnapshotFile.Files(zk.DataDir);
        Assert.True(snapshots.Count >= 2, $"two snapshots after {i} creates");
        byte[] bytes = await File.ReadAllBytesAsync(snapshots[0].Path);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(snapshots[0].Path, bytes);

        await zk.StartAgainAsync();
        Assert.Equal(before, await TreeAsync(zk.Backend));
    }

    /// <summary>Every node below / (except /zookeeper's) with its data and Stat, in path order.</summary>
    internal static async Task<List<string>> TreeAsync(FaaSBackend backend)
    {
        var lines = new List<string>();
        var stack = new Stack<string>(["/"]);
        while (stack.Count > 0)
        {
            string path = stack.Pop();
            var node = (await backend.GetDataAsync(path, null)).Value!;
            lines.Add($"{path} {Convert.ToHexString(node.Data ?? [])} {node.Stat}");
            foreach (string child in (await backend.GetChildrenAsync(path, null)).Value!.Children)
            {
                string childPath = path == "/" ? "/" + child : path + "/" + child;
                if (!childPath.StartsWith("/zookeeper", StringComparison.Ordinal))
                {
                    stack.Push(childPath);
                }
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}
