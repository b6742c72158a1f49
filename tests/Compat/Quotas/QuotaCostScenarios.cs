using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using ZkGateway.Backend.Aws;
using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;

namespace ZkGateway.Compat.Quotas;

/// <summary>
/// What the serverless distributor's quota usage costs per write, by the cost meter: on the gateway
/// write path (key-value storage) the writer and the distributor run in the gateway, so its mntr
/// (<c>zk_cost_op_*</c>) counts both. A setData with no quota anywhere, one outside every quota's
/// subtree and one under a quota, each from a sync client, each write one byte longer than the last
/// (a setData that keeps the length changes no usage and costs nothing more). The figures go to
/// the test output and TestResults/quota-cost.txt (docs/quotas.md quotes them).
/// </summary>
[Collection(CompatCollection.Name)]
public sealed partial class QuotaCostScenarios(ITestOutputHelper output)
{
    private const int Writes = 20;

    /// <summary>Per operation (the writer's request, its commit and push, the distributor's batch) and per API.</summary>
    [GeneratedRegex(@"^zk_cost_((?:op_(?:setData|write-commit|write-push|distribute))_(?:calls|usd)|(?:dynamodb|s3|sqs)_\w+_calls)\t(\S+)$", RegexOptions.Multiline)]
    private static partial Regex CostLine();

    [Fact]
    public async Task A_write_under_a_quota_costs_its_stats_write_and_one_outside_costs_what_one_without_quotas_does()
    {
        await using var gw = new AwsGatewayServer(UserStorageMode.KeyValue, writePath: WritePathMode.Gateway);
        await gw.StartAsync();
        await using var c = await RawZkClient.ConnectAsync(gw.Port);
        string root = ZkCli.NewPrefix();
        // Outside the quota's namespace: the walk of /zookeeper/quota stops at its first level.
        string free = ZkCli.NewPrefix();
        foreach (string path in new[] { root, free, free + "/x", root + "/q", root + "/q/x" })
        {
            Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(path)).Error);
        }
        var none = await PerWriteAsync(gw, c, free + "/x");

        // What zkCli's setquota -n 1000 creates.
        await c.CreateAsync("/zookeeper/quota" + root);
        await c.CreateAsync($"/zookeeper/quota{root}/q");
        await c.CreateAsync($"/zookeeper/quota{root}/q/zookeeper_limits", Encoding.UTF8.GetBytes("count=1000,bytes=-1"));
        await c.CreateAsync($"/zookeeper/quota{root}/q/zookeeper_stats", Encoding.UTF8.GetBytes("count=0,bytes=0"));
        var outside = await PerWriteAsync(gw, c, free + "/x");
        var under = await PerWriteAsync(gw, c, root + "/q/x");
        var stats = await c.GetDataAsync($"/zookeeper/quota{root}/q/zookeeper_stats");
        // The usage followed: 2 nodes, writes of growing data (each changes the usage) ending at 20 bytes.
        Assert.Equal($"count=2,bytes={Writes}", Encoding.UTF8.GetString(stats.Decode<GetDataResponse>().Data ?? []));

        var report = new StringBuilder($"calls and USD per setData (gateway write path, key-value, {Writes} sync writes each)\n");
        foreach (var (name, costs) in new[] { ("no quota anywhere", none), ("quotas, write outside them", outside), ("write under a quota", under) })
        {
            report.Append(name).Append(": ").AppendLine(string.Join(", ", costs.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value:0.#########}"))));
        }
        output.WriteLine(report.ToString());
        Directory.CreateDirectory(Path.Combine(RepoPaths.RepoRoot, "tests", "Compat", "TestResults"));
        await File.WriteAllTextAsync(Path.Combine(RepoPaths.RepoRoot, "tests", "Compat", "TestResults", "quota-cost.txt"), report.ToString());

        // The stats item is written with each batch under a quota (the gateway path groups the writes
        // of a sync client into fewer batches than writes, so per write it is a fraction).
        Assert.True(under["op_distribute_calls"] > outside["op_distribute_calls"], report.ToString());
        Assert.True(under["dynamodb_UpdateItem_calls"] > outside["dynamodb_UpdateItem_calls"], report.ToString());
        // With no quota anywhere the distributor knows it from its own batch before (NoQuotaMemo):
        // no read of /zookeeper/quota, which a write outside existing quotas still pays.
        Assert.True(none.GetValueOrDefault("dynamodb_GetItem_calls") < outside["dynamodb_GetItem_calls"], report.ToString());
    }

    /// <summary>The meter's calls and USD per write of <paramref name="path"/>, less what the mntr probes themselves cost.</summary>
    private static async Task<Dictionary<string, double>> PerWriteAsync(AwsGatewayServer gw, RawZkClient c, string path)
    {
        var m0 = await CostsAsync(gw);
        var m1 = await CostsAsync(gw);
        for (int i = 0; i < Writes; i++)
        {
            Assert.Equal(ErrorCode.Ok, (await c.SetDataAsync(path, Encoding.UTF8.GetBytes(new string('x', i + 1)))).Error);
        }
        var m2 = await CostsAsync(gw);
        return m2.Keys.Concat(m1.Keys).Distinct().ToDictionary(k => k, k => (m2.GetValueOrDefault(k) - m1.GetValueOrDefault(k) - (m1.GetValueOrDefault(k) - m0.GetValueOrDefault(k))) / Writes, StringComparer.Ordinal);
    }

    private static async Task<Dictionary<string, double>> CostsAsync(AwsGatewayServer gw)
    {
        string mntr = await Net.FourLetterAsync(gw.Port, "mntr", TimeSpan.FromSeconds(10)) ?? "";
        var costs = CostLine().Matches(mntr).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);
        costs.TryAdd("op_distribute_calls", 0);
        return costs;
    }
}
