using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Metering;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// The billable calls the persistent (S3) user storage makes for a fixed history (creates, sets, a
/// batch that adds and removes children of one parent, deletes, reads by another instance), per API,
/// as the cost meter counts them. Before the writes were fenced (issue 17): the same but 10 PutObject
/// and 5 DeleteObject.
/// </summary>
public sealed class S3UserStorageCallsTests : IAsyncLifetime
{
    private EmulatorDeployment _deployment = null!;

    public async Task InitializeAsync() => _deployment = await EmulatorDeployment.CreateAsync("sc");

    public async Task DisposeAsync() => await _deployment.DisposeAsync();

    [Fact]
    public async Task A_fixed_history_costs_these_calls_per_API()
    {
        using var clients = new AwsClients(_deployment.Settings);
        var meter = new CostMeter();
        AwsCostMetering.Attach(clients, meter);
        var storage = new S3UserStorage(clients.S3, clients.DynamoDb, _deployment.Settings.BucketName, _deployment.Settings.CountersTable);

        var h = new NodeHistory();
        await storage.ApplyAsync([NodeHistory.Root(), h.Create("/a", [1]), h.Create("/a/b", []), h.Create("/a/c", []), h.Create("/d", [2])], _ => { });
        await storage.ApplyAsync([h.Set("/a", [3]), h.Set("/d", [4])], _ => { });
        await storage.ApplyAsync([h.Delete("/a/b"), h.Create("/a/e", [])], _ => { });
        await storage.ApplyAsync([h.Delete("/a/c"), h.Delete("/a/e"), h.Delete("/a"), h.Delete("/d")], _ => { });
        // A reader (a gateway): one GET per path, whether the node exists or not.
        await h.AssertReadsAsync(new S3UserStorage(clients.S3, clients.DynamoDb, _deployment.Settings.BucketName, _deployment.Settings.CountersTable));
        Assert.Equal(0, await storage.CountDescendantsAsync("/"));

        var expected = new Dictionary<string, long>
        {
            // 3 checks that no other instance applied since (the cache), 4 applied-marker raises.
            ["dynamodb.GetItem"] = 3,
            ["dynamodb.UpdateItem"] = 4,
            // 10 nodes and parents written, and 5 tombstones where a free DeleteObject was before the
            // writes were fenced; the conditions (If-Match, If-None-Match) cost nothing.
            ["s3.PutObject"] = 15,
            // 6 cache misses of the writes (5 creates of the first batch, /a/e), the reader's 6 paths
            // and the count's root: unchanged by the fencing.
            ["s3.GetObject"] = 13,
        };
        static string Text(IEnumerable<KeyValuePair<string, long>> calls) => string.Join(", ", calls.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
        string actual = Text(meter.CallsByApi());
        Assert.True(Text(expected) == actual, $"calls: {actual}");
    }
}
