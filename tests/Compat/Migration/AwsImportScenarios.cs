using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Primitives;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Migration;

/// <summary>
/// <c>zkgateway import --backend=aws</c> (the sidecar's executable) on a real ZooKeeper 3.8 data
/// directory, into a provisioned deployment on the AWS API emulators: the function host and an AWS
/// gateway started afterwards serve ZooKeeper's tree node for node (docs/migration.md). Also the
/// refusals and an import killed half way and run again.
/// </summary>
[Collection(CompatCollection.Name)]
public sealed partial class AwsImportScenarios(ITestOutputHelper output)
{
    /// <summary>Above the key-value items' inline limit (350 KB): its data goes to S3 there.</summary>
    private const int BigNodeBytes = 600 * 1024;

    private static readonly KeyValuePair<string, string>[] ExtendedTypes = [new("zookeeper.extendedTypesEnabled", "true")];

    /// <summary>Besides the workload: a node above the item limit, and a quota whose usage the import must count again.</summary>
    private static async Task MoreAsync(RawZkClient c)
    {
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync($"{ZooKeeperWorkload.Root}/huge", [.. Enumerable.Range(0, BigNodeBytes).Select(i => (byte)i)])).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync("/impq", [1])).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync("/zookeeper/quota/impq", null)).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync("/zookeeper/quota/impq/zookeeper_limits", Encoding.UTF8.GetBytes("count=100,bytes=-1"))).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync("/zookeeper/quota/impq/zookeeper_stats", Encoding.UTF8.GetBytes("count=0,bytes=0"))).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync("/impq/a", [1, 2, 3])).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync("/impq/b", [4, 5])).Error);
        // This client's session is still open when ZooKeeper stops: the import drops its ephemeral, and
        // the quota's usage as ZooKeeper wrote it (count=4,bytes=10) must be counted again without it.
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(QuotaEphemeral, [6, 6, 6, 6], CreateMode.Ephemeral)).Error);
    }

    private const string QuotaEphemeral = "/impq/e";

    private const string QuotaStats = "/zookeeper/quota/impq/zookeeper_stats";

    /// <summary>Provisioned as the function host of AwsGatewayServer provisions it (its queues' visibility timeout), which it checks.</summary>
    private static async Task<AwsSettings> NewDeploymentAsync(string prefix)
    {
        var deployment = await AwsEmulators.NewDeploymentAsync(prefix) with { QueueVisibilityTimeout = TimeSpan.FromSeconds(10) };
        await AwsProvisioner.ProvisionAsync(deployment);
        return deployment;
    }

    private static Dictionary<string, string> Environment(AwsSettings s, UserStorageMode storage) => new()
    {
        ["ZKGW_AWS_DEPLOYMENT"] = s.DeploymentName,
        ["ZKGW_AWS_DYNAMODB"] = s.DynamoDbEndpoint!,
        ["ZKGW_AWS_S3"] = s.S3Endpoint!,
        ["ZKGW_AWS_SQS"] = s.SqsEndpoint!,
        ["ZKGW_AWS_ACCESS_KEY"] = s.AccessKey!,
        ["ZKGW_AWS_SECRET_KEY"] = s.SecretKey!,
        ["ZKGW_AWS_USER_STORAGE"] = storage == UserStorageMode.KeyValue ? "key-value" : "persistent",
    };

    [Theory]
    [InlineData(UserStorageMode.Persistent)]
    [InlineData(UserStorageMode.KeyValue)]
    public async Task A_ZooKeeper_data_directory_imported_into_a_deployment_is_served_node_for_node_and_a_second_import_is_refused(UserStorageMode storage)
    {
        await using var zk = ZooKeeperImportScenarios.NewZooKeeper();
        var (zkTree, run) = await ZooKeeperImportScenarios.FillAndStopAsync(zk, nodes: 800, more: MoreAsync);
        var deployment = await NewDeploymentAsync("imp");
        try
        {
            var env = Environment(deployment, storage);
            var import = await GatewayTool.RunAwsAsync(env, "import", "--from-zookeeper", zk.DataDir, "--backend=aws");
            output.WriteLine(import.Output.Split('\n').Where(l => !l.StartsWith("  dropped", StringComparison.Ordinal)).Aggregate("", (a, l) => a + l + "\n"));
            Assert.True(import.Exit == 0, $"import failed ({import.Exit}): {import.Output}");
            var report = Regex.Match(import.Output, @"holds (\d+) nodes, the state after zxid 0x([0-9a-f]+); its zxid counter is at 0x([0-9a-f]+)");
            Assert.True(report.Success, import.Output);
            long importedZxid = long.Parse(report.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            Assert.Contains("billable requests of this run: dynamodb BatchWriteItem", import.Output);

            var dropped = ZnodeTree.DroppedEphemerals(import.Output);
            Assert.Equal(run.OpenEphemerals.Append(QuotaEphemeral).Order(StringComparer.Ordinal), dropped.Select(d => d.Path));
            var expected = ZnodeTree.WithoutEphemerals(zkTree, dropped.Select(d => d.Path));
            Assert.Equal(expected.Count, int.Parse(report.Groups[1].Value, CultureInfo.InvariantCulture));
            Assert.Equal("count=4,bytes=10", Encoding.UTF8.GetString(zkTree[QuotaStats].Data!));
            byte[] recounted = Encoding.UTF8.GetBytes("count=3,bytes=6");
            expected[QuotaStats] = expected[QuotaStats] with { Data = recounted, Stat = expected[QuotaStats].Stat with { DataLength = recounted.Length } };

            await using var gateway = new AwsGatewayServer(storage, ExtendedTypes, deployment: deployment);
            await gateway.StartAsync();
            await using var c = await ZooKeeperImportScenarios.SuperClientAsync(gateway.Port);
            var served = await ZnodeTree.ReadAsync(c);
            var differences = ZnodeTree.Differences(expected, served);
            Assert.True(differences.Count == 0, $"{differences.Count} differences:\n" + string.Join("\n", differences.Take(40)));
            Assert.Equal(BigNodeBytes, served[$"{ZooKeeperWorkload.Root}/huge"].Data!.Length);
            Assert.Equal("count=3,bytes=6", Encoding.UTF8.GetString(served[QuotaStats].Data!));

            // A write afterwards: a zxid above every imported one, a sequence number after ZooKeeper's,
            // and the quota's usage counted on from the imported one.
            var created = await c.CreateAsync("/impq/after-import", [7]);
            Assert.Equal(ErrorCode.Ok, created.Error);
            Assert.True(created.Header.Zxid > importedZxid, $"zxid 0x{created.Header.Zxid:x} after importing up to 0x{importedZxid:x}");
            Assert.True(zkTree.Values.All(n => created.Header.Zxid > Math.Max(n.Stat.Mzxid, Math.Max(n.Stat.Czxid, n.Stat.Pzxid))));
            var stats = (await c.GetDataAsync(QuotaStats)).Decode<Jute.Proto.GetDataResponse>();
            Assert.Equal("count=4,bytes=7", Encoding.UTF8.GetString(stats.Data!));

            var again = await GatewayTool.RunAwsAsync(env, "import", "--from-zookeeper", zk.DataDir, "--backend=aws");
            Assert.Equal(1, again.Exit);
            Assert.Contains($"deployment {deployment.DeploymentName} already holds user nodes", again.Output);
        }
        finally
        {
            await AwsProvisioner.DeleteAsync(deployment);
        }
    }

    [Fact]
    public async Task A_dump_imported_into_a_key_value_deployment_is_served_node_for_node_and_the_embedded_executable_says_it_cannot()
    {
        await using var zk = ZooKeeperImportScenarios.NewZooKeeper();
        var (zkTree, _) = await ZooKeeperImportScenarios.FillAndStopAsync(zk, nodes: 300);
        string dump = Path.Combine(zk.DataDir, "..", "tree.dump");
        var export = await GatewayTool.RunAsync("export", "--from-zookeeper", zk.DataDir, "--to", dump);
        Assert.True(export.Exit == 0, export.Output);
        var embedded = await GatewayTool.RunAsync("import", "--from-dump", dump, "--backend=aws");
        Assert.Equal(2, embedded.Exit);
        Assert.Contains("cannot import into backend 'aws'", embedded.Output);

        var deployment = await NewDeploymentAsync("impd");
        try
        {
            var import = await GatewayTool.RunAwsAsync(Environment(deployment, UserStorageMode.KeyValue), "import", "--from-dump", dump, "--backend=aws");
            Assert.True(import.Exit == 0, $"import failed ({import.Exit}): {import.Output}");
            var expected = ZnodeTree.WithoutEphemerals(zkTree, ZnodeTree.DroppedEphemerals(import.Output).Select(d => d.Path));
            await using var gateway = new AwsGatewayServer(UserStorageMode.KeyValue, ExtendedTypes, deployment: deployment);
            await gateway.StartAsync();
            await using var c = await ZooKeeperImportScenarios.SuperClientAsync(gateway.Port);
            var differences = ZnodeTree.Differences(expected, await ZnodeTree.ReadAsync(c));
            Assert.True(differences.Count == 0, $"{differences.Count} differences:\n" + string.Join("\n", differences.Take(40)));
        }
        finally
        {
            await AwsProvisioner.DeleteAsync(deployment);
        }
    }

    [Fact]
    public async Task An_import_killed_after_three_batches_keeps_gateways_out_refuses_another_tree_and_finishes_when_run_again()
    {
        await using var zk = ZooKeeperImportScenarios.NewZooKeeper();
        var (zkTree, _) = await ZooKeeperImportScenarios.FillAndStopAsync(zk, nodes: 300);
        var deployment = await NewDeploymentAsync("impk");
        try
        {
            var env = Environment(deployment, UserStorageMode.Persistent);
            var killed = await GatewayTool.RunAwsAsync(new Dictionary<string, string>(env) { ["ZKGW_FAILPOINTS"] = "import-batch@3=kill" },
                "import", "--from-zookeeper", zk.DataDir, "--backend=aws");
            Assert.True(killed.Exit != 0 && killed.Output.Contains("failpoint import-batch: kill", StringComparison.Ordinal), $"{killed.Exit}: {killed.Output}");

            // Half a tree: neither the functions nor a gateway start on it.
            var functions = await Assert.ThrowsAsync<InvalidOperationException>(() => AwsFunctions.StartAsync(deployment, new BackendOptions()));
            Assert.Contains("unfinished import (3 of", functions.Message);
            var gatewayStart = await Assert.ThrowsAsync<InvalidOperationException>(() => AwsDeployment.StartGatewayAsync(deployment, new BackendOptions { GatewayId = "impk" }, new IgnoredEvents()));
            Assert.Contains("run the same zkgateway import again", gatewayStart.Message);

            // Another tree cannot take its place.
            var other = await Assert.ThrowsAsync<InvalidOperationException>(() => AwsTreeImport.RunAsync(deployment, 5,
                [new SeedNode("/", [], new Stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), Acl.OpenAclUnsafe)], "another", (_, _) => { }));
            Assert.Contains("unfinished import of another tree", other.Message);

            var resumed = await GatewayTool.RunAwsAsync(env, "import", "--from-zookeeper", zk.DataDir, "--backend=aws");
            output.WriteLine(string.Join("\n", resumed.Output.Split('\n').Where(l => !l.StartsWith("  dropped", StringComparison.Ordinal))));
            Assert.True(resumed.Exit == 0, $"rerun failed ({resumed.Exit}): {resumed.Output}");
            Assert.Matches(@"resumed an interrupted import after batch 3 of \d+", resumed.Output);

            var dropped = ZnodeTree.DroppedEphemerals(resumed.Output);
            var expected = ZnodeTree.WithoutEphemerals(zkTree, dropped.Select(d => d.Path));
            await using var gateway = new AwsGatewayServer(UserStorageMode.Persistent, ExtendedTypes, deployment: deployment);
            await gateway.StartAsync();
            await using var c = await ZooKeeperImportScenarios.SuperClientAsync(gateway.Port);
            var differences = ZnodeTree.Differences(expected, await ZnodeTree.ReadAsync(c));
            Assert.True(differences.Count == 0, $"{differences.Count} differences:\n" + string.Join("\n", differences.Take(40)));
        }
        finally
        {
            await AwsProvisioner.DeleteAsync(deployment);
        }
    }
}
