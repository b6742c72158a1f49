using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Migration;

/// <summary>
/// <c>zkgateway import --from-zookeeper</c> on a real ZooKeeper 3.8 data directory: a snapshot taken
/// while writes went on and the logs after it, imported, served by the gateway, and compared node by
/// node through the client protocol with what ZooKeeper served before it stopped (docs/migration.md).
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class ZooKeeperImportScenarios
{
    // snapCount 400: ZooKeeper snapshots every 200–400 transactions, so the workload spans many.
    private const int SnapCount = 400;

    internal static RealZooKeeper NewZooKeeper() => new(
        properties: [new("zookeeper.extendedTypesEnabled", "true"), new("zookeeper.snapCount", SnapCount.ToString(CultureInfo.InvariantCulture))],
        config: [new("maxSessionTimeout", "600000")]);

    /// <summary>
    /// Fills a fresh ZooKeeper, reads its tree, stops it, and leaves its data directory with a snapshot
    /// and at least <c>tail</c> logged transactions after it. Returns the tree and the workload's result.
    /// </summary>
    internal static async Task<(SortedDictionary<string, ZnodeState> Tree, ZooKeeperWorkload.Result Run)> FillAndStopAsync(RealZooKeeper zk, int nodes = 2500, Func<RawZkClient, Task>? more = null)
    {
        await zk.StartAsync();
        var run = await ZooKeeperWorkload.RunAsync(zk.Port, nodes);
        await using (var c = await SuperClientAsync(zk.Port))
        {
            if (more is not null)
            {
                await more(c);
            }
            // Write until a new snapshot appears, then a tail shorter than the shortest interval between
            // snapshots (snapCount / 2): the newest snapshot is then followed by logged transactions.
            long before = NewestSnapshotZxid(zk.DataDir);
            int i = 0;
            while (NewestSnapshotZxid(zk.DataDir) == before)
            {
                Assert.True(i++ < SnapCount * 2, "ZooKeeper took no snapshot");
                Assert.Equal(ErrorCode.Ok, (await c.SetDataAsync($"{ZooKeeperWorkload.Root}/multi", Encoding.UTF8.GetBytes($"roll{i}"))).Error);
            }
            for (int k = 0; k < 20; k++)
            {
                Assert.Equal(ErrorCode.Ok, (await c.CreateAsync($"{ZooKeeperWorkload.Root}/tail{k:D2}", [(byte)k])).Error);
            }
            var tree = await ZnodeTree.ReadAsync(c);
            await zk.StopAsync();
            await run.OpenSession.DisposeAsync();
            return (tree, run);
        }
    }

    internal static async Task<RawZkClient> SuperClientAsync(int port)
    {
        var c = await RawZkClient.ConnectAsync(port, timeoutMs: 30_000);
        Assert.Equal(ErrorCode.Ok, (await c.SendAsync(OpCode.Auth, new AuthPacket(0, "digest", Encoding.UTF8.GetBytes("super:" + CompatSettings.SuperPassword)), Xids.Auth)).Error);
        return c;
    }

    private static long NewestSnapshotZxid(string dataDir) =>
        Directory.EnumerateFiles(Path.Combine(dataDir, "version-2"), "snapshot.*")
            .Select(p => long.Parse(Path.GetFileName(p)["snapshot.".Length..], NumberStyles.HexNumber, CultureInfo.InvariantCulture))
            .DefaultIfEmpty(-1).Max();

    [Fact]
    public async Task A_ZooKeeper_data_directory_is_served_node_for_node_without_the_ephemerals_of_open_sessions()
    {
        await using var zk = NewZooKeeper();
        var (zkTree, run) = await FillAndStopAsync(zk);

        await using var gateway = new GatewayServer([new("zookeeper.extendedTypesEnabled", "true")]);
        var import = await GatewayTool.RunAsync("import", "--from-zookeeper", zk.DataDir, "--dataDir", gateway.DataDir);
        Assert.True(import.Exit == 0, $"import failed ({import.Exit}): {import.Output}");
        var report = Regex.Match(import.Output, @"holds (\d+) nodes, every transaction up to zxid 0x([0-9a-f]+) \(snapshot \S+, (\d+) transactions");
        Assert.True(report.Success, import.Output);
        Assert.True(int.Parse(report.Groups[3].Value, CultureInfo.InvariantCulture) >= 20, "the import replayed no log: " + import.Output);
        long importedZxid = long.Parse(report.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

        // The open session's ephemerals are dropped and listed, each with that session.
        var dropped = ZnodeTree.DroppedEphemerals(import.Output);
        Assert.Equal(run.OpenEphemerals.Order(StringComparer.Ordinal), dropped.Select(d => d.Path));
        Assert.All(dropped, d => Assert.Equal(run.OpenSession.SessionId, d.Session));
        var expected = ZnodeTree.WithoutEphemerals(zkTree, dropped.Select(d => d.Path));
        Assert.Equal(expected.Count, int.Parse(report.Groups[1].Value, CultureInfo.InvariantCulture));

        await gateway.StartAsync();
        await using var c = await SuperClientAsync(gateway.Port);
        var served = await ZnodeTree.ReadAsync(c);
        var differences = ZnodeTree.Differences(expected, served);
        Assert.True(differences.Count == 0, $"{differences.Count} differences:\n" + string.Join("\n", differences.Take(40)));
        Assert.True(zkTree.Count > 2000, $"the workload left {zkTree.Count} nodes");

        // New transactions get zxids after every imported one.
        var created = await c.CreateAsync($"{ZooKeeperWorkload.Root}/after-import", [1]);
        Assert.Equal(ErrorCode.Ok, created.Error);
        Assert.True(created.Header.Zxid > importedZxid, $"zxid 0x{created.Header.Zxid:x} after importing up to 0x{importedZxid:x}");
        Assert.True(importedZxid >= run.LastZxid);
    }

    [Fact]
    public async Task A_damaged_file_or_a_busy_target_is_refused_with_the_file_and_offset_and_nothing_is_written()
    {
        await using var zk = NewZooKeeper();
        _ = await FillAndStopAsync(zk, nodes: 300);
        string source = Path.Combine(zk.DataDir, "version-2");
        string newestLog = Directory.EnumerateFiles(source, "log.*").MaxBy(p => Convert.ToInt64(Path.GetFileName(p)[4..], 16))!;
        string newestSnapshot = Directory.EnumerateFiles(source, "snapshot.*").MaxBy(p => Convert.ToInt64(Path.GetFileName(p)[9..], 16))!;
        var cases = new (string Name, string File, Action<string> Damage, string Expected)[]
        {
            ("a flipped byte in the snapshot", newestSnapshot, path => Flip(path, new FileInfo(path).Length / 2), "offset "),
            ("a truncated log", newestLog, path => TruncateInLastRecord(path), "the log is truncated"),
            ("a log with a bad magic", newestLog, path => Flip(path, 0), "offset 0: not a ZooKeeper transaction log (bad magic)"),
            ("a snapshot with a bad magic", newestSnapshot, path => Flip(path, 1), "offset 0: not a ZooKeeper snapshot (bad magic)"),
        };
        foreach (var (name, file, damage, expected) in cases)
        {
            string copy = CopyDirectory(zk.DataDir);
            string target = Path.Combine(Path.GetTempPath(), $"zkgw-import-{Guid.NewGuid():N}");
            try
            {
                damage(Path.Combine(copy, "version-2", Path.GetFileName(file)));
                var import = await GatewayTool.RunAsync("import", "--from-zookeeper", copy, "--dataDir", target);
                Assert.True(import.Exit == 1, $"{name}: exit {import.Exit}: {import.Output}");
                Assert.Contains(Path.GetFileName(file) + ": offset ", import.Output, StringComparison.Ordinal);
                Assert.Contains(expected, import.Output, StringComparison.Ordinal);
                Assert.False(Directory.Exists(target), $"{name}: {target} was created");
                Assert.False(Directory.Exists(target + ".importing"), $"{name}: the staging directory was left behind");
            }
            finally
            {
                Directory.Delete(copy, recursive: true);
            }
        }

        // A target that already holds data is refused and left as it was.
        string busy = Path.Combine(Path.GetTempPath(), $"zkgw-import-{Guid.NewGuid():N}");
        Directory.CreateDirectory(busy);
        File.WriteAllText(Path.Combine(busy, "keep"), "x");
        try
        {
            var refused = await GatewayTool.RunAsync("import", "--from-zookeeper", zk.DataDir, "--dataDir", busy);
            Assert.True(refused.Exit == 1, refused.Output);
            Assert.Contains("already holds data", refused.Output, StringComparison.Ordinal);
            Assert.Equal(["keep"], Directory.EnumerateFileSystemEntries(busy).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(busy, recursive: true);
        }
        var missing = await GatewayTool.RunAsync("import", "--dataDir", busy);
        Assert.True(missing.Exit == 2, missing.Output);
    }

    private static void Flip(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        int b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ 0x5A));
    }

    /// <summary>Cuts the file ten bytes before the end of its last record (ZooKeeper pads logs with zeros after it).</summary>
    private static void TruncateInLastRecord(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int last = Array.FindLastIndex(bytes, b => b != 0);
        Assert.True(last > 16, $"{path} holds no record");
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(last + 1 - 10);
    }

    private static string CopyDirectory(string from)
    {
        string to = Path.Combine(Path.GetTempPath(), $"zkgw-zkdata-{Guid.NewGuid():N}");
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string dest = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }
        return to;
    }
}
