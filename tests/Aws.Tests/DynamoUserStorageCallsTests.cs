using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Metering;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// The billable calls the key-value user storage makes for a fixed history (creates, sets, a batch
/// that adds and removes children of one parent, data spilled to S3 and back, deletes, reads), per
/// API, as the cost meter counts them: making the writes idempotent and fenced added no billed call
/// (5 DeleteItems became UpdateItems, and spilled versions are deleted one by one, for free).
/// </summary>
public sealed class DynamoUserStorageCallsTests : IAsyncLifetime
{
    private EmulatorDeployment _deployment = null!;

    public async Task InitializeAsync() => _deployment = await EmulatorDeployment.CreateAsync("uc");

    public async Task DisposeAsync() => await _deployment.DisposeAsync();

    [Fact]
    public async Task A_fixed_history_costs_the_calls_per_API_it_always_did()
    {
        using var clients = new AwsClients(_deployment.Settings);
        var meter = new CostMeter();
        AwsCostMetering.Attach(clients, meter);
        // A small item limit: 4 KB of data goes to S3, as 350 KB does with the default.
        var storage = new DynamoUserStorage(clients.DynamoDb, clients.S3, _deployment.Settings.DataTable, _deployment.Settings.BucketName, _deployment.Settings.CountersTable, itemLimit: 2048);
        byte[] big = new byte[4096], bigger = new byte[5000];
        Random.Shared.NextBytes(big);
        Random.Shared.NextBytes(bigger);

        var h = new NodeHistory();
        await storage.ApplyAsync([NodeHistory.Root(), h.Create("/a", [1]), h.Create("/a/b", []), h.Create("/a/c", []), h.Create("/big", [2])], _ => { });
        await storage.ApplyAsync([h.Set("/a", [3]), h.Set("/big", big)], _ => { });
        await storage.ApplyAsync([h.Delete("/a/b"), h.Create("/a/d", [])], _ => { });
        await storage.ApplyAsync([h.Set("/big", bigger)], _ => { });
        await h.AssertReadsAsync(storage);
        await storage.ApplyAsync([h.Set("/big", [4])], _ => { });
        await storage.ApplyAsync([h.Delete("/a/c"), h.Delete("/a/d"), h.Delete("/a"), h.Delete("/big")], _ => { });
        await h.AssertReadsAsync(storage);
        Assert.Equal(0, await storage.CountDescendantsAsync("/"));

        var expected = new Dictionary<string, long>
        {
            // The root and 5 creates.
            ["dynamodb.PutItem"] = 6,
            // 7 for parents and sets (one of them the separate removal of the add-and-remove batch), 6
            // applied-marker raises, and 5 deletes: tombstones cost an UpdateItem where a DeleteItem was.
            ["dynamodb.UpdateItem"] = 18,
            // 2 × 6 paths read, and the root for the count.
            ["dynamodb.GetItem"] = 13,
            ["s3.PutObject"] = 2,
            // Each version once the item moved on (the first when the second replaced it, the second
            // when the data shrank); S3 DELETE is free.
            ["s3.DeleteObject"] = 2,
            // /big read while spilled.
            ["s3.GetObject"] = 1,
        };
        static string Text(IEnumerable<KeyValuePair<string, long>> calls) => string.Join(", ", calls.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
        string actual = Text(meter.CallsByApi());
        Assert.True(Text(expected) == actual, $"calls: {actual}");
    }
}
