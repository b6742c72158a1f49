using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.DynamoDBv2.Model;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Migration;

/// <summary>
/// The import into a deployment on the gateway write path (<c>aws.writePath=gateway</c>, key-value):
/// a gateway started with <c>--aws.writePath=gateway</c> serves ZooKeeper's tree node for node, and
/// its writer's first writes continue above every imported zxid, moving cversion, pzxid and version
/// as ZooKeeper does, also when a writing gateway had bootstrapped the deployment; an interrupted import keeps writing gateways out until it is run again.
/// </summary>
public sealed partial class AwsImportScenarios
{
    private static Dictionary<string, string> GatewayPathEnvironment(AwsSettings s) =>
        new(Environment(s, UserStorageMode.KeyValue)) { ["ZKGW_AWS_WRITE_PATH"] = "gateway" };

    [Fact]
    public async Task A_ZooKeeper_data_directory_imported_into_a_gateway_write_path_deployment_is_served_and_written_on()
    {
        await using var zk = ZooKeeperImportScenarios.NewZooKeeper();
        var (zkTree, _) = await ZooKeeperImportScenarios.FillAndStopAsync(zk, nodes: 800, more: MoreAsync);
        var deployment = await NewDeploymentAsync("impgw");
        try
        {
            // A writing gateway ran on it before: it bootstrapped the initial tree as the head's batch,
            // which a later writer must not apply again over the imported root.
            await using (var first = new AwsGatewayServer(UserStorageMode.KeyValue, ExtendedTypes, WritePathMode.Gateway, deployment))
            {
                await first.StartAsync();
                await using var probe = await ZooKeeperImportScenarios.SuperClientAsync(first.Port);
                Assert.Equal(ErrorCode.Ok, (await probe.ExistsAsync("/zookeeper")).Error);
            }
            var import = await GatewayTool.RunAwsAsync(GatewayPathEnvironment(deployment), "import", "--from-zookeeper", zk.DataDir, "--backend=aws");
            output.WriteLine(string.Join("\n", import.Output.Split('\n').Where(l => !l.StartsWith("  dropped", StringComparison.Ordinal))));
            Assert.True(import.Exit == 0, $"import failed ({import.Exit}): {import.Output}");
            var report = Regex.Match(import.Output, @"holds (\d+) nodes, the state after zxid 0x([0-9a-f]+)");
            Assert.True(report.Success, import.Output);
            var expected = ExpectedAfterImport(zkTree, import.Output);

            await using var gateway = new AwsGatewayServer(UserStorageMode.KeyValue, ExtendedTypes, WritePathMode.Gateway, deployment);
            await gateway.StartAsync();
            await using var c = await ZooKeeperImportScenarios.SuperClientAsync(gateway.Port);
            var served = await ZnodeTree.ReadAsync(c);
            var differences = ZnodeTree.Differences(expected, served);
            Assert.True(differences.Count == 0, $"{differences.Count} differences:\n" + string.Join("\n", differences.Take(40)));
            Assert.Equal(BigNodeBytes, served[$"{ZooKeeperWorkload.Root}/huge"].Data!.Length);

            await AssertWritesContinueAsync(c, zkTree, served);
            // Kinds survive in the node items: the containers and TTL nodes are in the reap index on D-data.
            using var clients = new AwsClients(deployment);
            var listed = await clients.DynamoDb.QueryAsync(new QueryRequest
            {
                TableName = deployment.DataTable,
                IndexName = DynamoSystemStorage.ReapIndex,
                KeyConditionExpression = "#s = :s",
                ExpressionAttributeNames = new() { ["#s"] = DynamoSystemStorage.ReapShardAttribute },
                ExpressionAttributeValues = new() { [":s"] = new AttributeValue("0") },
            });
            var kinds = zkTree.Keys.Where(p => p.StartsWith($"{ZooKeeperWorkload.Root}/cont", StringComparison.Ordinal) && p.Count(ch => ch == '/') == 2
                || p.StartsWith($"{ZooKeeperWorkload.Root}/ttl/", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(kinds);
            Assert.Equal(kinds.Order(StringComparer.Ordinal), listed.Items.Select(i => i["path"].S).Order(StringComparer.Ordinal));
        }
        finally
        {
            await AwsProvisioner.DeleteAsync(deployment);
        }
    }

    [Fact]
    public async Task An_import_into_a_gateway_write_path_deployment_killed_after_three_batches_keeps_writing_gateways_out_and_finishes_when_run_again()
    {
        await using var zk = ZooKeeperImportScenarios.NewZooKeeper();
        var (zkTree, _) = await ZooKeeperImportScenarios.FillAndStopAsync(zk, nodes: 300);
        var deployment = await NewDeploymentAsync("impgk");
        try
        {
            var env = GatewayPathEnvironment(deployment);
            var killed = await GatewayTool.RunAwsAsync(new Dictionary<string, string>(env) { ["ZKGW_FAILPOINTS"] = "import-batch@3=kill" },
                "import", "--from-zookeeper", zk.DataDir, "--backend=aws");
            Assert.True(killed.Exit != 0 && killed.Output.Contains("failpoint import-batch: kill", StringComparison.Ordinal), $"{killed.Exit}: {killed.Output}");

            var writing = deployment with { WritePath = WritePathMode.Gateway, UserStorage = UserStorageMode.KeyValue };
            var gatewayStart = await Assert.ThrowsAsync<InvalidOperationException>(() => AwsDeployment.StartGatewayAsync(writing, new BackendOptions { GatewayId = "impgk" }, new IgnoredEvents()));
            Assert.Contains("unfinished import (3 of", gatewayStart.Message);

            var resumed = await GatewayTool.RunAwsAsync(env, "import", "--from-zookeeper", zk.DataDir, "--backend=aws");
            output.WriteLine(string.Join("\n", resumed.Output.Split('\n').Where(l => !l.StartsWith("  dropped", StringComparison.Ordinal))));
            Assert.True(resumed.Exit == 0, $"rerun failed ({resumed.Exit}): {resumed.Output}");
            Assert.Matches(@"resumed an interrupted import after batch 3 of \d+", resumed.Output);

            await using var gateway = new AwsGatewayServer(UserStorageMode.KeyValue, ExtendedTypes, WritePathMode.Gateway, deployment);
            await gateway.StartAsync();
            await using var c = await ZooKeeperImportScenarios.SuperClientAsync(gateway.Port);
            var served = await ZnodeTree.ReadAsync(c);
            var differences = ZnodeTree.Differences(ExpectedAfterImport(zkTree, resumed.Output), served);
            Assert.True(differences.Count == 0, $"{differences.Count} differences:\n" + string.Join("\n", differences.Take(40)));
            await AssertWritesContinueAsync(c, zkTree, served);
        }
        finally
        {
            await AwsProvisioner.DeleteAsync(deployment);
        }
    }

    /// <summary>ZooKeeper's tree without the ephemerals the import dropped, and quota usage as recounted without them.</summary>
    private static SortedDictionary<string, ZnodeState> ExpectedAfterImport(IReadOnlyDictionary<string, ZnodeState> zkTree, string importOutput)
    {
        var expected = ZnodeTree.WithoutEphemerals(zkTree, ZnodeTree.DroppedEphemerals(importOutput).Select(d => d.Path));
        if (expected.ContainsKey(QuotaStats))
        {
            byte[] recounted = Encoding.UTF8.GetBytes("count=3,bytes=6");
            expected[QuotaStats] = expected[QuotaStats] with { Data = recounted, Stat = expected[QuotaStats].Stat with { DataLength = recounted.Length } };
        }
        return expected;
    }

    /// <summary>
    /// A create under an imported parent and a setData on an imported node, through the gateway's own
    /// writer: zxids above every imported one, and the parent's cversion, pzxid and numChildren and the
    /// node's version and mzxid moved as ZooKeeper moves them.
    /// </summary>
    private static async Task AssertWritesContinueAsync(RawZkClient c, IReadOnlyDictionary<string, ZnodeState> zkTree, IReadOnlyDictionary<string, ZnodeState> served)
    {
        long highest = zkTree.Values.Max(n => Math.Max(n.Stat.Mzxid, Math.Max(n.Stat.Czxid, n.Stat.Pzxid)));
        string parent = ZooKeeperWorkload.Root;
        var before = served[parent].Stat;
        var created = await c.CreateAsync($"{parent}/after-import", [7]);
        Assert.Equal(ErrorCode.Ok, created.Error);
        Assert.True(created.Header.Zxid > highest, $"zxid 0x{created.Header.Zxid:x} after importing up to 0x{highest:x}");
        var after = (await c.ExistsAsync(parent)).Decode<Jute.Proto.ExistsResponse>().Stat;
        Assert.Equal((before.Cversion + 1, created.Header.Zxid, before.NumChildren + 1, before.Version, before.Mzxid), (after.Cversion, after.Pzxid, after.NumChildren, after.Version, after.Mzxid));

        string node = served.Keys.First(p => p.StartsWith($"{parent}/", StringComparison.Ordinal) && served[p].Stat.EphemeralOwner == 0 && served[p].Stat.NumChildren == 0);
        var old = served[node].Stat;
        var set = await c.SetDataAsync(node, [9, 9]);
        Assert.Equal(ErrorCode.Ok, set.Error);
        Assert.True(set.Header.Zxid > created.Header.Zxid);
        var stat = set.Decode<Jute.Proto.SetDataResponse>().Stat;
        Assert.Equal((old.Version + 1, set.Header.Zxid, old.Czxid, old.Cversion, 2), (stat.Version, stat.Mzxid, stat.Czxid, stat.Cversion, stat.DataLength));
    }
}
