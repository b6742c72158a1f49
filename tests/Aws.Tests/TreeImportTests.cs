using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// AwsTreeImport's layout on the emulators, in what a client does not see: the reap index and the
/// stored owner markers of containers and TTL nodes, the stored cversion, and the counters
/// (tests/Compat/Migration/AwsImportScenarios.cs has the whole path from a real ZooKeeper).
/// </summary>
public sealed class TreeImportTests
{
    [Fact]
    public async Task Containers_and_TTL_nodes_are_listed_for_the_reaper_and_the_counters_move_to_the_next_epoch()
    {
        await using var d = await EmulatorDeployment.CreateAsync("impr");

        var result = await AwsTreeImport.RunAsync(d.Settings, ImportTestTree.LastZxid, ImportTestTree.Nodes(), "test", (_, _) => { });

        Assert.Equal((4, 1, 0, 0x2_0000_0000L), (result.Nodes, result.Batches, result.ResumedAtBatch, result.ZxidCounter));
        var system = new DynamoSystemStorage(d.Clients);
        Assert.Equal(["/box", "/ttl"], (await system.ListContainersAndTtlNodesAsync()).Order(StringComparer.Ordinal));
        Assert.Equal(NodeKinds.ContainerMarker, (await system.GetNodeAsync("/box"))!.Stat.EphemeralOwner);
        Assert.Equal(ImportTestTree.TtlOwner, (await system.GetNodeAsync("/ttl"))!.Stat.EphemeralOwner);
        Assert.Equal(5, (await system.GetNodeAsync("/"))!.Stat.Cversion);
        Assert.Equal(0x2_0000_0000L, await system.ReadCounterAsync(WriterFunction.ZxidCounter));
        Assert.Equal(new TreeStatistics(4, "/".Length + "/box".Length + "/ttl".Length + "/plain".Length + 3, 0), await system.ReadTreeStatisticsAsync());

        // What clients read: the markers hidden, cversion as 2 × creations − children, null data kept null.
        var user = new S3UserStorage(d.Clients.S3, d.Clients.DynamoDb, d.Settings.BucketName, d.Settings.CountersTable);
        Assert.Equal(0x2_0000_0000L, await user.RefreshAppliedZxidAsync());
        var root = (await user.ReadAsync("/", (n, _) => n))!;
        Assert.Equal(["box", "plain", "ttl"], root.Children.Order(StringComparer.Ordinal));
        Assert.Equal(2 * 5 - 3, root.Stat.Cversion);
        var ttl = (await user.ReadAsync("/ttl", (n, _) => n))!;
        Assert.Equal((0L, true), (ttl.Stat.EphemeralOwner, ttl.Data is null));
        Assert.Equal(Acl.ReadAclUnsafe, ttl.Acl);
    }
}
