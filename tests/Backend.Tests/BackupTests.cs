using System.Collections.Concurrent;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// The embedded store's online backup and restore (<see cref="BackupBundle"/>): a backup taken while
/// writers and snapshots go on restores a state that holds every write acknowledged before it and is a
/// prefix of each writer's stream; a damaged or truncated backup restores nothing.
/// </summary>
public sealed class BackupTests
{
    [Fact]
    public async Task A_backup_taken_during_writes_restores_every_earlier_acknowledged_write_and_a_prefix_of_each_stream()
    {
        // 8 KiB of log per snapshot: snapshots (and their deletions) race the backup.
        await using var zk = await EmbeddedBackend.StartAsync(snapshotLogBytes: 8 << 10);
        long session = await zk.NewSessionAsync();
        await zk.CreateAsync(session, "/b");
        var acknowledged = new ConcurrentDictionary<string, bool>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                string path = $"/b/w{w}-{i:D6}";
                Assert.Equal(ErrorCode.Ok, (await zk.CreateAsync(session, path, new string('x', 50))).Result!.Error);
                acknowledged[path] = true;
            }
        })).ToList();
        while (acknowledged.Count < 400)
        {
            await Task.Delay(5);
        }
        var before = acknowledged.Keys.ToHashSet();
        using var backup = new MemoryStream();
        var summary = await zk.Backend.OnlineBackup!.WriteBackupAsync(backup);
        while (acknowledged.Count < before.Count + 200)
        {
            await Task.Delay(5);
        }
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        Assert.Equal(backup.Length, summary.Bytes);

        string restored = Path.Combine(Path.GetTempPath(), "zkgw-restore-" + Guid.NewGuid().ToString("N"));
        backup.Position = 0;
        long lastZxid = BackupBundle.Restore(backup, restored);
        Assert.Equal(summary.LastZxid, lastZxid);
        await using var copy = await EmbeddedBackend.StartAsync(dataDir: restored);
        var children = (await copy.Backend.GetChildrenAsync("/b", null)).Value!.Children.ToHashSet();
        Assert.All(before, p => Assert.Contains(p["/b/".Length..], children));
        foreach (var stream in children.GroupBy(c => c.Split('-')[0]))
        {
            var numbers = stream.Select(c => int.Parse(c.Split('-')[1], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
            Assert.Equal(Enumerable.Range(0, numbers.Count), numbers); // no gaps: a prefix of the writer's stream
        }
        Assert.True(children.Count < acknowledged.Count, "writes after the backup's cut are not in it");
        foreach (string child in children)
        {
            Assert.True((await copy.Backend.ExistsAsync("/b/" + child, null)).Value!.Mzxid <= lastZxid);
        }
    }

    [Fact]
    public async Task A_restored_backup_has_the_exact_tree_and_continues_the_zxids()
    {
        await using var zk = await EmbeddedBackend.StartAsync(snapshotLogBytes: 4 << 10);
        long session = await zk.NewSessionAsync();
        for (int i = 0; i < 300; i++)
        {
            await zk.CreateAsync(session, $"/n{i % 50}", new string('y', i));
            await zk.Backend.SubmitAsync(session, new SetDataOperation($"/n{i % 50}", [(byte)i], -1));
        }
        var tree = await DurableStoreTests.TreeAsync(zk.Backend);
        long last = await zk.Backend.GetLastZxidAsync();
        using var backup = new MemoryStream();
        await zk.Backend.OnlineBackup!.WriteBackupAsync(backup);

        string restored = Path.Combine(Path.GetTempPath(), "zkgw-restore-" + Guid.NewGuid().ToString("N"));
        backup.Position = 0;
        BackupBundle.Restore(backup, restored);
        await using var copy = await EmbeddedBackend.StartAsync(dataDir: restored);
        Assert.Equal(tree, await DurableStoreTests.TreeAsync(copy.Backend));
        var created = await copy.CreateAsync(await copy.NewSessionAsync(), "/after");
        Assert.True(created.Zxid > last, "new zxids follow the restored ones");
    }

    [Theory]
    [InlineData("flip-snapshot")]
    [InlineData("flip-record")]
    [InlineData("truncate")]
    [InlineData("bad-magic")]
    [InlineData("trailing")]
    public async Task A_damaged_backup_is_refused_naming_the_offset_and_restores_nothing(string damage)
    {
        await using var zk = await EmbeddedBackend.StartAsync(snapshotLogBytes: 4 << 10);
        long session = await zk.NewSessionAsync();
        for (int i = 0; i < 200; i++)
        {
            await zk.CreateAsync(session, $"/d{i}", new string('z', 40));
        }
        // A snapshot is taken in the background once 4 KiB of log is written: wait for one, so the bundle has both parts.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (SnapshotFile.Files(zk.DataDir).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        await zk.CreateAsync(session, "/last");
        using var backup = new MemoryStream();
        await zk.Backend.OnlineBackup!.WriteBackupAsync(backup);
        byte[] bytes = backup.ToArray();
        long snapshotLength = BitConverter.ToInt64(bytes, 40);
        Assert.True(snapshotLength > 0, "the backup holds a snapshot");
        Assert.True(BitConverter.ToInt64(bytes, 48) > 0, "the backup holds log records");
        switch (damage)
        {
            case "flip-snapshot": bytes[56 + snapshotLength / 2] ^= 0x40; break;
            case "flip-record": bytes[^20] ^= 0x01; break;
            case "truncate": bytes = bytes[..^30]; break;
            case "bad-magic": bytes[0] = (byte)'X'; break;
            case "trailing": bytes = [.. bytes, 0]; break;
        }
        string restored = Path.Combine(Path.GetTempPath(), "zkgw-restore-" + Guid.NewGuid().ToString("N"));
        var error = Assert.Throws<InvalidDataException>(() => BackupBundle.Restore(new MemoryStream(bytes), restored));
        Assert.Contains(damage == "flip-snapshot" ? "offset 56: the backup's snapshot is damaged" : "offset", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(restored), "nothing is restored");
        Assert.False(Directory.Exists(restored + ".restoring"), "the staging directory is removed");
    }

    [Fact]
    public async Task Restore_refuses_a_data_directory_that_holds_data()
    {
        await using var zk = await EmbeddedBackend.StartAsync();
        using var backup = new MemoryStream();
        await zk.Backend.OnlineBackup!.WriteBackupAsync(backup);
        string target = Path.Combine(Path.GetTempPath(), "zkgw-restore-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep"), "x");
        backup.Position = 0;
        var error = Assert.Throws<IOException>(() => BackupBundle.Restore(backup, target));
        Assert.Contains("already holds data", error.Message, StringComparison.Ordinal);
        Assert.Equal("x", File.ReadAllText(Path.Combine(target, "keep")));
        Directory.Delete(target, recursive: true);
    }
}
