using ZkGateway.Compat.Infrastructure;
using ZkGateway.Jute.Proto;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing;
using static ZkGateway.Compat.Infrastructure.Scenario;

namespace ZkGateway.Compat.Protocol;

/// <summary>
/// A session with more ephemerals than one DynamoDB transaction holds (100 items): ZooKeeper deletes
/// them all when the session closes, and so must every target; on AWS the writer splits the close in
/// parts (docs/serverless.md, "closeSession in parts").
/// </summary>
[Collection(CompatCollection.Name)]
public sealed class ManyEphemeralsScenarios(CompatFixture targets)
{
    private const int Ephemerals = 250;

    [Theory]
    [InlineData(TargetKind.ZooKeeper)]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Closing_a_session_with_250_ephemerals_deletes_them_all_and_watchers_are_told(TargetKind target)
    {
        string p = Unique("many");
        await using var watcher = await targets.ConnectAsync(target, timeoutMs: 30000);
        Assert.Equal(ErrorCode.Ok, (await watcher.CreateAsync(p)).Error);
        Assert.Equal(ErrorCode.Ok, (await watcher.CreateAsync(p + "/other")).Error);

        // A raw client does not ping: sessions long enough for a loaded machine, and requests sent in
        // pipelined chunks (so the gateways group-commit them) that keep the session alive.
        await using var owner = await targets.ConnectAsync(target, timeoutMs: 30000);
        foreach (var chunk in Enumerable.Range(0, Ephemerals).Chunk(25))
        {
            var created = await Task.WhenAll(chunk.Select(i =>
                owner.CreateAsync(i % 4 == 0 ? $"{p}/other/e{i:D3}" : $"{p}/e{i:D3}", mode: CreateMode.Ephemeral)));
            Assert.All(created, c => Assert.Equal(ErrorCode.Ok, c.Error));
        }

        string[] watched = [$"{p}/e001", $"{p}/e125", $"{p}/e249", $"{p}/other/e248"];
        foreach (string path in watched)
        {
            Assert.Equal(ErrorCode.Ok, (await watcher.ExistsAsync(path, watch: true)).Error);
        }
        Assert.Equal(ErrorCode.Ok, (await watcher.GetChildrenAsync(p + "/other", watch: true)).Error);

        var close = await owner.CloseSessionAsync();
        Assert.Equal(ErrorCode.Ok, close.Error);

        var events = new List<(EventType, string)>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (events.Count < watched.Length + 1 && DateTime.UtcNow < deadline)
        {
            using var wait = new CancellationTokenSource(deadline - DateTime.UtcNow);
            try
            {
                var e = await watcher.Events.Reader.ReadAsync(wait.Token);
                events.Add(((EventType)e.Type, e.Path!));
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        Assert.Equal(
            [.. watched.Select(w => (EventType.NodeDeleted, w)), (EventType.NodeChildrenChanged, p + "/other")],
            events.Order().ToList());

        // Every one is gone: a read after the events shows no ephemeral left.
        Assert.Equal(["other"], (await watcher.GetChildrenAsync(p)).Decode<GetChildrenResponse>().Children);
        Assert.Empty((await watcher.GetChildrenAsync(p + "/other")).Decode<GetChildrenResponse>().Children!);
    }

    /// <summary>mntr's tree counts, as numbers.</summary>
    private static async Task<(long Nodes, long Bytes, long Ephemerals)> TreeCountsAsync(IZkTarget target)
    {
        var lines = (await Net.FourLetterAsync(target.Port, "mntr", TimeSpan.FromSeconds(5)) ?? "").Split('\n');
        long Value(string key) => long.Parse(lines.Single(l => l.StartsWith(key + "\t", StringComparison.Ordinal)).Split('\t')[1], System.Globalization.CultureInfo.InvariantCulture);
        return (Value("zk_znode_count"), Value("zk_approximate_data_size"), Value("zk_ephemerals_count"));
    }

    [Theory]
    [InlineData(TargetKind.Gateway)]
    [InlineData(TargetKind.AwsGateway)]
    public async Task Mntr_counts_nodes_data_and_ephemerals(TargetKind target)
    {
        var server = await targets.GetAsync(target);
        await using var c = await targets.ConnectAsync(target, timeoutMs: 30000);
        var before = await TreeCountsAsync(server);
        string p = Unique("mntr");
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p)).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "/a", [1, 2, 3, 4, 5])).Error);
        Assert.Equal(ErrorCode.Ok, (await c.CreateAsync(p + "/e", mode: CreateMode.Ephemeral)).Error);
        // ZooKeeper's approximate_data_size: path length + data length per node.
        var expected = (before.Nodes + 3, before.Bytes + (3 * p.Length) + 4 + 5, before.Ephemerals + 1);
        // The AWS gateway reads the counts at most once a second.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        var now = await TreeCountsAsync(server);
        while (now != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            now = await TreeCountsAsync(server);
        }
        Assert.Equal(expected, now);
    }
}
