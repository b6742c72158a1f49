using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// AwsTreeImport into a deployment on the gateway write path, in what a client does not see: the
/// D-data items as the writer reads them back (owner markers, stored cversion), the reap index on
/// D-data, no D-nodes items, and the write head moved to an empty batch at the next epoch
/// (tests/Compat/Migration/AwsImportScenarios.GatewayPath.cs has the whole path from a real ZooKeeper).
/// </summary>
public sealed class GatewayPathTreeImportTests
{
    [Fact]
    public async Task Nodes_are_written_as_the_writer_reads_them_and_the_head_is_moved_last_to_the_next_epoch()
    {
        await using var d = await EmulatorDeployment.CreateAsync("impg");
        var settings = d.Settings with { WritePath = WritePathMode.Gateway, UserStorage = UserStorageMode.KeyValue };

        var result = await AwsTreeImport.RunAsync(settings, ImportTestTree.LastZxid, ImportTestTree.Nodes(), "test", (_, _) => { });

        Assert.Equal((4, 1, 0, 0x2_0000_0000L), (result.Nodes, result.Batches, result.ResumedAtBatch, result.ZxidCounter));
        // The writer's own view of the items: kinds and the creation counter come back.
        var system = new HeadSystemStorage(d.Clients.DynamoDb, settings, "test", writer: false);
        Assert.Equal(NodeKinds.ContainerMarker, (await system.GetNodeAsync("/box"))!.Stat.EphemeralOwner);
        Assert.Equal(ImportTestTree.TtlOwner, (await system.GetNodeAsync("/ttl"))!.Stat.EphemeralOwner);
        Assert.Equal(0L, (await system.GetNodeAsync("/plain"))!.Stat.EphemeralOwner);
        Assert.Equal(5, (await system.GetNodeAsync("/"))!.Stat.Cversion);
        Assert.Equal(Acl.ReadAclUnsafe, (await system.GetNodeAsync("/ttl"))!.Acl);
        Assert.Equal(["/box", "/ttl"], (await new DynamoReapIndex(d.Clients.DynamoDb, settings.DataTable).ListContainersAndTtlNodesAsync()).Order(StringComparer.Ordinal));

        // The head: one batch on, an empty batch, zxids continuing at the next epoch; the queue path's tables untouched.
        var head = await system.Head.ReadAsync(CancellationToken.None);
        Assert.Equal((1L, 0x2_0000_0000L, GatewayPathImportLayout.HeadWriter), (head.Seq, head.LastZxid, head.Writer));
        Assert.Empty(HeadBatchCodec.Decode(head.Batch));
        Assert.Equal(0x2_0000_0000L, await system.ReadCounterAsync(WriterFunction.ZxidCounter));
        var nodes = await d.Clients.DynamoDb.ScanAsync(new ScanRequest { TableName = settings.NodesTable });
        Assert.Empty(nodes.Items);
        Assert.Null(await ReadMarkerAsync(d, settings));
    }

    [Fact]
    public async Task Persistent_user_storage_on_the_gateway_write_path_is_refused_before_anything_is_written()
    {
        await using var d = await EmulatorDeployment.CreateAsync("impgp");
        var settings = d.Settings with { WritePath = WritePathMode.Gateway, UserStorage = UserStorageMode.Persistent };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => AwsTreeImport.RunAsync(settings, 0,
            [new SeedNode("/", [], ImportTestTree.StoredStat(0), Acl.OpenAclUnsafe)], "test", (_, _) => { }));
        Assert.Contains("needs --aws.userStorage=key-value", refused.Message);
        Assert.Null(await ReadMarkerAsync(d, settings));
    }

    private static async Task<Dictionary<string, AttributeValue>?> ReadMarkerAsync(EmulatorDeployment d, AwsSettings settings)
    {
        var item = (await d.Clients.DynamoDb.GetItemAsync(new GetItemRequest { TableName = settings.CountersTable, Key = new() { ["name"] = new AttributeValue("import") }, ConsistentRead = true })).Item;
        return item is { Count: > 0 } ? item : null;
    }
}
