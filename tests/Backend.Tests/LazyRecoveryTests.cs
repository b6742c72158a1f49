using System.Buffers.Binary;
using ZkGateway.Backend.Diagnostics;
using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Jute;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Framing;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Tests;

/// <summary>
/// Lazy recovery (docs/storage.md): the gateway answers reads from the newest snapshot's path index
/// and the log after it while the tree loads in the background; node writes wait for the load. The
/// load is held with the <c>store-tree-load</c> failpoint (paused for this test's data directory
/// only), so "during the load" is a state the test sets up, not a race it hopes to win.
/// </summary>
public sealed class LazyRecoveryTests : IDisposable
{
    private readonly string _hold = Path.Combine(Path.GetTempPath(), "zkgw-treeload-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Reads_during_the_load_answer_the_snapshot_with_the_log_after_it()
    {
        await using var zk = await PrepareAsync();
        long owner = await AddEphemeralAsync(zk);
        var before = await DurableStoreTests.TreeAsync(zk.Backend);
        await StopAsync(zk);

        using var armed = HoldLoad(zk);
        await zk.StartAgainAsync();
        await LoadHeldAsync();
        foreach (string path in new[] { "/snap/n0", "/snap/n1", "/snap/n3", "/tail", "/tail/created", "/snap/eph" })
        {
            Assert.Equal(Line(before, path), await LineAsync(zk, path));
        }
        Assert.Equal(ErrorCode.NoNode, (await zk.Backend.GetDataAsync("/snap/n2", null)).Error);
        Assert.Equal(ErrorCode.NoNode, (await zk.Backend.ExistsAsync("/never", null)).Error);
        Assert.Equal(owner, (await zk.Backend.ExistsAsync("/snap/eph", null)).Value!.EphemeralOwner);
        // Sessions are restored before the load: a new one is granted, an old one resumes.
        var grant = await zk.Backend.CreateSessionAsync(30000);
        Assert.True(grant.SessionId != 0);
        // Children need the whole tree: asked now, they are answered once it is built.
        var children = Task.Run(async () => (await zk.Backend.GetChildrenAsync("/snap", null)).Value!.Children);

        File.Delete(_hold);
        Assert.Equal(Names(before, "/snap/"), [.. (await children).Order(StringComparer.Ordinal)]);
        Assert.Equal(before, await DurableStoreTests.TreeAsync(zk.Backend));
    }

    [Fact]
    public async Task A_write_during_the_load_waits_for_it_and_then_holds()
    {
        await using var zk = await PrepareAsync();
        long owner = await AddEphemeralAsync(zk);
        await StopAsync(zk);

        using var armed = HoldLoad(zk);
        await zk.StartAgainAsync();
        await LoadHeldAsync();
        long session = (await zk.Backend.CreateSessionAsync(30000)).SessionId;
        // A watch set from the snapshot's index fires for the write made after the load.
        Assert.Equal(ErrorCode.Ok, (await zk.Backend.GetDataAsync("/snap/n0", 7)).Error);
        var write = zk.Backend.SubmitAsync(session, new SetDataOperation("/snap/n0", "during"u8.ToArray(), -1));
        var close = zk.Backend.CloseSessionAsync(owner);
        // The writer takes requests in order: this one holds it (and what queues behind it) until the load.
        Assert.False(write.IsCompleted, "a node write is held until the tree is loaded");
        Assert.Equal(Value(0), (await zk.Backend.GetDataAsync("/snap/n0", null)).Value!.Data);

        File.Delete(_hold);
        Assert.Equal(ErrorCode.Ok, (await write).Result!.Error);
        Assert.Equal(ErrorCode.Ok, (await close).Error);
        Assert.Equal("during"u8.ToArray(), (await zk.Backend.GetDataAsync("/snap/n0", null)).Value!.Data);
        Assert.Contains(zk.Sink.Drain(), e => e.Watcher == 7 && e.Event.Type == EventType.NodeDataChanged && e.Event.Path == "/snap/n0");
        Assert.Equal(ErrorCode.NoNode, (await zk.Backend.ExistsAsync("/snap/eph", null)).Error);
        var after = await DurableStoreTests.TreeAsync(zk.Backend);

        await zk.RestartAsync();
        Assert.Equal(after, await DurableStoreTests.TreeAsync(zk.Backend));
    }

    [Fact]
    public async Task A_stop_during_the_load_loses_nothing()
    {
        await using var zk = await PrepareAsync();
        long owner = await AddEphemeralAsync(zk);
        var before = await DurableStoreTests.TreeAsync(zk.Backend);
        await StopAsync(zk);

        using (HoldLoad(zk))
        {
            await zk.StartAgainAsync();
            await LoadHeldAsync();
            var grant = await zk.Backend.CreateSessionAsync(30000);
            await zk.StopAsync();
            File.Delete(_hold);

            await zk.StartAgainAsync();
            Assert.True(await zk.Backend.TryResumeSessionAsync(grant.SessionId, grant.Password, 30000), "the session granted during the load");
        }
        Assert.Equal(before, await DurableStoreTests.TreeAsync(zk.Backend));
        Assert.Equal(owner, (await zk.Backend.ExistsAsync("/snap/eph", null)).Value!.EphemeralOwner);
    }

    [Fact]
    public async Task A_damaged_index_is_refused_like_any_damage_and_the_older_snapshot_read()
    {
        await using var zk = await PrepareAsync(snapshots: 2);
        var before = await DurableStoreTests.TreeAsync(zk.Backend);
        await zk.StopAsync();
        var snapshots = SnapshotFile.Files(zk.DataDir);
        // The last index slot, just before the footer and the CRC.
        byte[] bytes = await File.ReadAllBytesAsync(snapshots[0].Path);
        bytes[bytes.Length - 4 - 48 - 3] ^= 0x40;
        await File.WriteAllBytesAsync(snapshots[0].Path, bytes);
        Assert.Throws<InvalidDataException>(() => IndexedSnapshot.Open(snapshots[0].Path));

        await zk.StartAgainAsync();
        Assert.Equal(before, await DurableStoreTests.TreeAsync(zk.Backend));
        await zk.StopAsync();
        byte[] older = await File.ReadAllBytesAsync(snapshots[1].Path);
        older[older.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(snapshots[1].Path, older);
        var error = await Assert.ThrowsAsync<InvalidDataException>(zk.StartAgainAsync);
        Assert.Contains("no snapshot can be read", error.Message);

        older[older.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(snapshots[1].Path, older);
        await zk.StartAgainAsync();
        Assert.Equal(before, await DurableStoreTests.TreeAsync(zk.Backend));
    }

    [Fact]
    public async Task A_format_1_snapshot_is_still_read_whole()
    {
        await using var zk = await PrepareAsync();
        var before = await DurableStoreTests.TreeAsync(zk.Backend);
        await zk.StopAsync();
        string newest = SnapshotFile.Files(zk.DataDir)[0].Path;
        var image = SnapshotFile.Read(newest);
        await File.WriteAllBytesAsync(newest, FormatOne(image));
        Assert.Null(IndexedSnapshot.Open(newest));
        Assert.Equal(image.UserNodes.Count, SnapshotFile.Read(newest).UserNodes.Count);

        await zk.StartAgainAsync();
        Assert.Equal(before, await DurableStoreTests.TreeAsync(zk.Backend));
    }

    /// <summary>
    /// /snap/n0..n99 with at least <paramref name="snapshots"/> snapshots of them, then a log tail the
    /// newest snapshot does not hold: a set, a delete, a delete and create again, a new subtree.
    /// </summary>
    private static async Task<EmbeddedBackend> PrepareAsync(int snapshots = 1)
    {
        // 32 KiB of log per snapshot: the tail below (about 2 KiB) starts none of its own.
        var zk = await EmbeddedBackend.StartAsync(snapshotLogBytes: 32 << 10);
        long session = await zk.NewSessionAsync();
        await zk.CreateAsync(session, "/snap");
        int i = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((i < 100 || SnapshotFile.Files(zk.DataDir).Count < snapshots) && DateTime.UtcNow < deadline)
        {
            string path = $"/snap/n{i % 100}";
            if (i < 100)
            {
                await zk.Backend.SubmitAsync(session, new CreateOperation(path, Value(i), Acl.OpenAclUnsafe, CreateMode.Persistent));
            }
            else
            {
                await zk.Backend.SubmitAsync(session, new SetDataOperation(path, Value(i % 100), -1));
            }
            i++;
        }
        Assert.True(SnapshotFile.Files(zk.DataDir).Count >= snapshots, $"{snapshots} snapshots after {i} writes");
        await zk.Backend.SubmitAsync(session, new SetDataOperation("/snap/n1", "changed"u8.ToArray(), -1));
        await zk.Backend.SubmitAsync(session, new DeleteOperation("/snap/n2", -1));
        await zk.Backend.SubmitAsync(session, new DeleteOperation("/snap/n3", -1));
        await zk.CreateAsync(session, "/snap/n3", "again");
        await zk.CreateAsync(session, "/tail", "t");
        await zk.CreateAsync(session, "/tail/created", "c");
        return zk;
    }

    private static byte[] Value(int i) => System.Text.Encoding.UTF8.GetBytes($"v{i}:" + new string('x', 100));

    /// <summary>An ephemeral of a new session, in the log tail too.</summary>
    private static async Task<long> AddEphemeralAsync(EmbeddedBackend zk)
    {
        long owner = await zk.NewSessionAsync();
        await zk.CreateAsync(owner, "/snap/eph", "e", CreateMode.Ephemeral);
        return owner;
    }

    /// <summary>Stops cleanly and checks that the tail is in the log only, not in the newest snapshot.</summary>
    private static async Task StopAsync(EmbeddedBackend zk)
    {
        await zk.StopAsync();
        var newest = SnapshotFile.Read(SnapshotFile.Files(zk.DataDir)[0].Path);
        Assert.DoesNotContain(newest.UserNodes, r => r.Path == "/tail/created");
    }

    private IDisposable HoldLoad(EmbeddedBackend zk)
    {
        File.WriteAllText(_hold, "");
        return Failpoints.Arm($"{Failpoints.StoreTreeLoad}@{zk.DataDir}=pause({_hold})");
    }

    /// <summary>Waits until the background load has reached the failpoint and is held there.</summary>
    private async Task LoadHeldAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(_hold + ".held") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        Assert.True(File.Exists(_hold + ".held"), "the load reached store-tree-load");
    }

    private static async Task<string> LineAsync(EmbeddedBackend zk, string path)
    {
        var node = (await zk.Backend.GetDataAsync(path, null)).Value!;
        return $"{path} {Convert.ToHexString(node.Data ?? [])} {node.Stat}";
    }

    private static string Line(List<string> tree, string path) => Assert.Single(tree, l => l.StartsWith(path + " ", StringComparison.Ordinal));

    private static List<string> Names(List<string> tree, string prefix) =>
        [.. tree.Select(l => l.Split(' ')[0]).Where(p => p.StartsWith(prefix, StringComparison.Ordinal) && !p[prefix.Length..].Contains('/'))
            .Select(p => p[prefix.Length..]).Order(StringComparer.Ordinal)];

    /// <summary>The image as format 1 writes it: magic ZKGWSNP1, ACL lists inline at first use, no index.</summary>
    private static byte[] FormatOne(SnapshotImage image)
    {
        var file = new MemoryStream();
        var header = new byte[32];
        BinaryPrimitives.WriteUInt64LittleEndian(header, 0x31504E5357474B5A);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), image.FromSeq);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), image.Epoch);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), image.Zxid);
        file.Write(header);
        var acls = new AclTable();
        var buffer = new FrameBuffer(4096);
        void Entry()
        {
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)buffer.WrittenCount);
            file.Write(length);
            file.Write(buffer.WrittenSpan);
            buffer.Clear();
        }
        foreach (var session in image.Sessions)
        {
            var writer = new JuteWriter(buffer);
            writer.WriteByte(2);
            writer.WriteLong(session.SessionId);
            writer.WriteBuffer(session.Password);
            writer.WriteInt(session.TimeoutMs);
            Entry();
        }
        var users = image.UserNodes.ToDictionary(r => r.Path);
        foreach (var system in image.SystemNodes)
        {
            // Each node with its user row (flags 1|2) and the system Stat and ACL written out (no "same" bits).
            var writer = new JuteWriter(buffer);
            writer.WriteByte(4);
            bool hasUser = users.Remove(system.Path, out var row);
            writer.WriteByte((byte)(hasUser ? 3 : 2));
            writer.WriteString(system.Path);
            if (hasUser)
            {
                writer.WriteBuffer(row.Data);
                CompactStat.WriteStandalone(ref writer, row.Stat);
                acls.Write(ref writer, row.Acl);
            }
            CompactStat.WriteStandalone(ref writer, system.Stat);
            acls.Write(ref writer, system.Acl);
            Entry();
        }
        Assert.Empty(users);
        new JuteWriter(buffer).WriteByte(0);
        Entry();
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Of(file.ToArray()));
        file.Write(crc);
        return file.ToArray();
    }

    public void Dispose()
    {
        File.Delete(_hold);
        File.Delete(_hold + ".held");
    }
}
