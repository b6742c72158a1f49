using System.Globalization;
using System.Text;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using Xunit.Abstractions;

namespace ZkGateway.Compat.Migration;

/// <summary>
/// <c>zkgateway export</c> of a running ZooKeeper 3.8 over the client protocol, <c>import --from-dump</c>
/// into a gateway, and <c>zkgateway compare</c> between servers and dumps, with real differences made
/// on purpose (docs/migration.md).
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class DumpScenarios(ITestOutputHelper output)
{
    private static readonly string SuperAuth = "digest:super:" + CompatSettings.SuperPassword;

    [Fact]
    public async Task A_dump_of_a_running_ZooKeeper_round_trips_through_the_gateway_and_compare_finds_every_difference()
    {
        string work = Path.Combine(Path.GetTempPath(), $"zkgw-dump-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        await using var zk = ZooKeeperImportScenarios.NewZooKeeper();
        await zk.StartAsync();
        try
        {
            var run = await ZooKeeperWorkload.RunAsync(zk.Port, nodes: 800);
            SortedDictionary<string, ZnodeState> zkTree;
            await using (var c = await ZooKeeperImportScenarios.SuperClientAsync(zk.Port))
            {
                zkTree = await ZnodeTree.ReadAsync(c);
            }
            string fromZk = Path.Combine(work, "zk.dump");
            var export = await GatewayTool.RunAsync("export", "--server", zk.ConnectString, "--auth", SuperAuth, "--to", fromZk);
            Assert.True(export.Exit == 0, export.Output);
            Assert.Contains($"{zkTree.Count} nodes", export.Output, StringComparison.Ordinal);

            // The dump into a new gateway: ZooKeeper's tree without the open session's ephemerals.
            await using var gateway = new GatewayServer([new("zookeeper.extendedTypesEnabled", "true")]);
            var import = await GatewayTool.RunAsync("import", "--from-dump", fromZk, "--dataDir", gateway.DataDir);
            Assert.True(import.Exit == 0, import.Output);
            var dropped = ZnodeTree.DroppedEphemerals(import.Output).Select(d => d.Path).ToList();
            Assert.Equal(run.OpenEphemerals.Order(StringComparer.Ordinal), dropped);
            var expected = ZnodeTree.WithoutEphemerals(zkTree, dropped);
            await gateway.StartAsync();
            await using (var c = await ZooKeeperImportScenarios.SuperClientAsync(gateway.Port))
            {
                var served = await ZnodeTree.ReadAsync(c);
                var differences = ZnodeTree.Differences(expected, served);
                Assert.True(differences.Count == 0, $"{differences.Count} differences:\n" + string.Join("\n", differences.Take(40)));
            }

            // compare, ZooKeeper against the gateway: exactly the dropped ephemerals and their parents' counts.
            var compare = await GatewayTool.RunAsync("compare", zk.ConnectString, gateway.ConnectString, "--auth", SuperAuth);
            Assert.True(compare.Exit == 1, compare.Output);
            var expectedLines = dropped.Select(p => $"{p}: only in {zk.ConnectString}")
                .Concat(dropped.GroupBy(p => p[..p.LastIndexOf('/')]).SelectMany(g =>
                {
                    var stat = zkTree[g.Key].Stat;
                    return new[]
                    {
                        $"{g.Key}: cversion {stat.Cversion} != {stat.Cversion + g.Count()}",
                        $"{g.Key}: numChildren {stat.NumChildren} != {stat.NumChildren - g.Count()}",
                    };
                }));
            Assert.Equal(expectedLines.Order(StringComparer.Ordinal), DifferenceLines(compare.Output));

            // Real changes on the gateway, each found: data, ACL, a node deleted, a node added.
            await using (var c = await ZooKeeperImportScenarios.SuperClientAsync(gateway.Port))
            {
                Assert.Equal(ErrorCode.Ok, (await c.SetDataAsync($"{ZooKeeperWorkload.Root}/plain/n00001", Encoding.UTF8.GetBytes("a different value"))).Error);
                Assert.Equal(ErrorCode.Ok, (await c.SendAsync(OpCode.SetAcl, new SetACLRequest($"{ZooKeeperWorkload.Root}/plain/n00006", Acl.ReadAclUnsafe, -1))).Error);
                Assert.Equal(ErrorCode.Ok, (await c.DeleteAsync($"{ZooKeeperWorkload.Root}/plain/n00005")).Error);
                Assert.Equal(ErrorCode.Ok, (await c.CreateAsync($"{ZooKeeperWorkload.Root}/plain/new")).Error);
            }
            string fromGateway = Path.Combine(work, "gw.dump");
            Assert.Equal(0, (await GatewayTool.RunAsync("export", "--server", gateway.ConnectString, "--auth", SuperAuth, "--to", fromGateway)).Exit);
            var changed = await GatewayTool.RunAsync("compare", fromZk, fromGateway, "--ignore", "mzxid,mtime,pzxid,cversion,numChildren");
            Assert.True(changed.Exit == 1, changed.Output);
            var lines = DifferenceLines(changed.Output);
            var original1 = zkTree[$"{ZooKeeperWorkload.Root}/plain/n00001"];
            var original6 = zkTree[$"{ZooKeeperWorkload.Root}/plain/n00006"];
            Assert.Contains(lines, l => l.StartsWith($"{ZooKeeperWorkload.Root}/plain/n00001: data {original1.Data!.Length} bytes", StringComparison.Ordinal) && l.Contains("!= 17 bytes", StringComparison.Ordinal));
            Assert.Contains($"{ZooKeeperWorkload.Root}/plain/n00001: version {original1.Stat.Version} != {original1.Stat.Version + 1}", lines);
            Assert.Contains($"{ZooKeeperWorkload.Root}/plain/n00001: dataLength {original1.Stat.DataLength} != 17", lines);
            Assert.Contains($"{ZooKeeperWorkload.Root}/plain/n00006: acl [{string.Join(", ", original6.Acl.Select(a => $"{a.Id.Scheme}:{a.Id.Ident}:{(int)a.Perms}"))}] != [world:anyone:1]", lines);
            Assert.Contains($"{ZooKeeperWorkload.Root}/plain/n00006: aversion {original6.Stat.Aversion} != {original6.Stat.Aversion + 1}", lines);
            Assert.Contains($"{ZooKeeperWorkload.Root}/plain/n00005: only in {fromZk}", lines);
            Assert.Contains($"{ZooKeeperWorkload.Root}/plain/new: only in {fromGateway}", lines);
            Assert.Equal(lines.Count, lines.Distinct().Count());
            Assert.Equal(7 + dropped.Count, lines.Count);

            // The same tree twice: exit 0. A dump against its own server.
            var same = await GatewayTool.RunAsync("compare", fromGateway, gateway.ConnectString, "--auth", SuperAuth);
            Assert.True(same.Exit == 0, same.Output);
            Assert.Contains("the same", same.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task A_damaged_or_truncated_dump_is_refused_with_its_line_and_nothing_is_written()
    {
        string work = Path.Combine(Path.GetTempPath(), $"zkgw-dump-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        await using var zk = ZooKeeperImportScenarios.NewZooKeeper();
        await zk.StartAsync();
        try
        {
            await using (var c = await ZooKeeperImportScenarios.SuperClientAsync(zk.Port))
            {
                for (int i = 0; i < 20; i++)
                {
                    Assert.Equal(ErrorCode.Ok, (await c.CreateAsync($"/d{i:D2}", Encoding.UTF8.GetBytes($"value {i}"))).Error);
                }
            }
            string dump = Path.Combine(work, "zk.dump");
            Assert.Equal(0, (await GatewayTool.RunAsync("export", "--server", zk.ConnectString, "--to", dump)).Exit);
            string[] lines = File.ReadAllLines(dump);
            var cases = new (string Name, string Content, string Expected)[]
            {
                ("an edited value", string.Join("\n", lines.Select(l => l.Replace("\"version\":0,", "\"version\":1,", StringComparison.Ordinal))) + "\n", "checksum or node count does not match"),
                ("a truncated dump", string.Join("\n", lines[..^3]) + "\n", "the dump is truncated (no end line)"),
                ("a line cut in half", string.Join("\n", lines[..5]) + "\n" + lines[5][..20], "line 6: "),
            };
            foreach (var (name, content, expected) in cases)
            {
                string damaged = Path.Combine(work, "damaged.dump");
                File.WriteAllText(damaged, content);
                string target = Path.Combine(work, "target");
                var import = await GatewayTool.RunAsync("import", "--from-dump", damaged, "--dataDir", target);
                Assert.True(import.Exit == 1, $"{name}: {import.Exit}: {import.Output}");
                Assert.Contains(expected, import.Output, StringComparison.Ordinal);
                Assert.False(Directory.Exists(target), name);
            }
            var compare = await GatewayTool.RunAsync("compare", dump, Path.Combine(work, "damaged.dump"));
            Assert.True(compare.Exit == 2, compare.Output);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    public async Task An_export_while_a_client_writes_is_the_tree_at_one_zxid_or_is_refused(TargetKind kind)
    {
        string work = Path.Combine(Path.GetTempPath(), $"zkgw-dump-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        await using ProcessZkTarget target = kind == TargetKind.ZooKeeper ? ZooKeeperImportScenarios.NewZooKeeper() : new GatewayServer();
        await target.StartAsync();
        try
        {
            // One writer, one create at a time: the nodes created up to any zxid are exactly those
            // whose create was answered with a zxid up to it.
            var created = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                await using var c = await ZooKeeperImportScenarios.SuperClientAsync(target.Port);
                Assert.Equal(ErrorCode.Ok, (await c.CreateAsync("/w")).Error);
                for (int i = 0; !stop.IsCancellationRequested; i++)
                {
                    var reply = await c.CreateAsync($"/w/n{i:D6}", new byte[50]);
                    Assert.Equal(ErrorCode.Ok, reply.Error);
                    created[$"/w/n{i:D6}"] = reply.Header.Zxid;
                }
            });
            while (created.Count < 200)
            {
                await Task.Delay(10);
            }
            string dump = Path.Combine(work, "live.dump");
            var export = await GatewayTool.RunAsync("export", "--server", target.ConnectString, "--to", dump);
            await stop.CancelAsync();
            await writer;
            if (export.Exit != 0)
            {
                Assert.True(export.Exit == 1, export.Output);
                Assert.Contains("the tree changed during each of 5 walks", export.Output, StringComparison.Ordinal);
                output.WriteLine($"{kind}: the export was refused: {export.Output}");
                return;
            }
            var header = System.Text.Json.JsonDocument.Parse(File.ReadLines(dump).First()).RootElement;
            long zxid = header.GetProperty("zxid").GetInt64();
            var inDump = File.ReadLines(dump).Skip(1).SkipLast(1)
                .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("path").GetString()!)
                .Where(p => p.StartsWith("/w/", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
            Assert.Equal(created.Where(kv => kv.Value <= zxid).Select(kv => kv.Key).Order(StringComparer.Ordinal), inDump);
            output.WriteLine($"{kind}: a consistent export at zxid 0x{zxid:x} with {inDump.Count()} of the writer's {created.Count} nodes");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The difference lines of compare's output (every line but its summary), sorted.</summary>
    private static List<string> DifferenceLines(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("zkgateway compare:", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
}
