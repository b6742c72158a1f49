using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3.Model;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// Several appliers of one batch on the key-value user storage (issue 11: every gateway may apply a
/// batch whose writer stalled, and the stalled one may wake up and apply it again, late): the shared
/// cases of <see cref="UserStorageFencingContract"/>, plus its own: tombstones, spilled data, a batch
/// resumed after its first step, an applier that dies at any call.
/// </summary>
public sealed class DynamoUserStorageFencingTests : UserStorageFencingContract
{
    protected override string DeploymentPrefix => "uf";

    protected override IUserStorage NewStorage() => NewStorage(null);

    private DynamoUserStorage NewStorage(AwsClients? clients)
    {
        clients ??= Deployment.Clients;
        return new DynamoUserStorage(clients.DynamoDb, clients.S3, Deployment.Settings.DataTable, Deployment.Settings.BucketName, Deployment.Settings.CountersTable, itemLimit: ItemLimit);
    }

    /// <summary>Every item of the table and every key in the bucket, written out attribute by attribute.</summary>
    protected override async Task<List<string>> SnapshotAsync()
    {
        var items = await Deployment.Clients.DynamoDb.ScanAsync(new ScanRequest { TableName = Deployment.Settings.DataTable, ConsistentRead = true });
        var lines = (items.Items ?? []).Select(item => string.Join(" ", item.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={Text(a.Value)}"))).ToList();
        var objects = await Deployment.Clients.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Deployment.Settings.BucketName });
        lines.AddRange((objects.S3Objects ?? []).Select(o => $"s3 {o.Key} {o.Size}"));
        lines.Sort(StringComparer.Ordinal);
        return lines;

        static string Text(AttributeValue v) =>
            v.S ?? v.N ?? (v.B is { } b ? Convert.ToBase64String(b.ToArray()) : v.SS is { Count: > 0 } ss ? "[" + string.Join(",", ss.Order(StringComparer.Ordinal)) + "]" : v.BOOL?.ToString(CultureInfo.InvariantCulture) ?? "?");
    }

    private async Task<Dictionary<string, AttributeValue>?> RawItemAsync(string path) =>
        (await Deployment.Clients.DynamoDb.GetItemAsync(new GetItemRequest { TableName = Deployment.Settings.DataTable, Key = new() { ["path"] = new AttributeValue { S = path } }, ConsistentRead = true })).Item;

    [Fact]
    public async Task A_batch_that_adds_and_removes_children_of_one_parent_applied_twice_or_resumed_after_its_first_step_keeps_both()
    {
        var storage = NewStorage();
        var h = new NodeHistory();
        await ApplyAsync(storage, NodeHistory.Root(), h.Create("/p", []), h.Create("/p/a", []), h.Create("/p/b", []));
        Txn[] batch = [h.Delete("/p/a"), h.Create("/p/c", []), h.Delete("/p/b"), h.Create("/p/d", [])];
        await ApplyAsync(storage, batch);
        var once = await SnapshotAsync();
        await ApplyAsync(storage, batch);
        Assert.Equal(once, await SnapshotAsync());
        await h.AssertReadsAsync(storage);

        // The next batch does the same again; its applier dies right after the removals of /p.
        Txn[] next = [h.Delete("/p/c"), h.Create("/p/e", [])];
        using (var dying = new DyingClients(Deployment.Settings, callsBeforeDeath: 2))
        {
            // /p/e's PutItem, then /p's removal step.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => NewStorage(dying.Clients).ApplyAsync(next, _ => { }, dying.Token).AsTask());
        }
        // c has left /p's names, e is not in them yet.
        Assert.Equal(["d"], (await NewStorage().ReadAsync("/p", (n, _) => n))!.Children.Order(StringComparer.Ordinal));
        await ApplyAsync(NewStorage(), next);
        await h.AssertReadsAsync(NewStorage());
    }

    [Fact]
    public async Task A_tombstone_reads_as_no_node_is_not_counted_and_gives_way_to_a_new_create()
    {
        var storage = NewStorage();
        var h = new NodeHistory();
        await ApplyAsync(storage, NodeHistory.Root(), h.Create("/t", []), h.Create("/t/x", Bytes(ItemLimit * 2, 5)), h.Create("/t/x/y", []));
        await ApplyAsync(storage, h.Delete("/t/x/y"), h.Delete("/t/x"));

        var tombstone = await RawItemAsync("/t/x");
        Assert.Equal(["path", "z"], tombstone!.Keys.Order(StringComparer.Ordinal));
        Assert.Null(await storage.ReadAsync("/t/x", (n, _) => n));
        Assert.Equal(-1, await storage.CountDescendantsAsync("/t/x"));
        Assert.Equal(0, await storage.CountDescendantsAsync("/t"));
        // Even a parent that listed it (none does: names leave before their node) counts no tombstone.
        await Deployment.Clients.DynamoDb.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = Deployment.Settings.DataTable,
            Key = new() { ["path"] = new AttributeValue { S = "/t" } },
            UpdateExpression = "ADD children :x",
            ExpressionAttributeValues = new() { [":x"] = new AttributeValue { SS = ["x"] } },
        });
        Assert.Equal(0, await storage.CountDescendantsAsync("/t"));
        await Deployment.Clients.DynamoDb.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = Deployment.Settings.DataTable,
            Key = new() { ["path"] = new AttributeValue { S = "/t" } },
            UpdateExpression = "DELETE children :x",
            ExpressionAttributeValues = new() { [":x"] = new AttributeValue { SS = ["x"] } },
        });

        await ApplyAsync(storage, h.Create("/t/x", [7]));
        await h.AssertReadsAsync(NewStorage());
        Assert.Equal(1, await storage.CountDescendantsAsync("/t"));
    }

    [Fact]
    public async Task A_spilled_node_rewritten_twice_keeps_its_newest_data_when_the_older_versions_are_applied_late()
    {
        var storage = NewStorage();
        var h = new NodeHistory();
        Txn[] create = [NodeHistory.Root(), h.Create("/s", [0])];
        Txn[] v1 = [h.Set("/s", Bytes(ItemLimit * 2, 1))];
        Txn[] v2 = [h.Set("/s", Bytes(ItemLimit * 3, 2))];
        await ApplyAsync(storage, create);
        await ApplyAsync(storage, v1);
        await ApplyAsync(storage, v2);
        string newest = DynamoUserStorage.DataKey("/s", v2[0].Zxid);
        Assert.Equal(newest, (await RawItemAsync("/s"))!["dataRef"].S);

        var late = NewStorage();
        await ApplyAsync(late, v1);
        await ApplyAsync(late, create);
        await h.AssertReadsAsync(NewStorage());
        Assert.Equal(newest, (await RawItemAsync("/s"))!["dataRef"].S);
    }

    [Fact]
    public async Task An_applier_that_dies_at_any_call_and_applies_its_batch_again_after_the_next_one_changes_nothing()
    {
        var h = new NodeHistory();
        await ApplyAsync(NewStorage(), NodeHistory.Root());
        bool survived = false;
        int calls;
        for (calls = 0; !survived; calls++)
        {
            Assert.True(calls < 40, "the batch should take fewer calls");
            string r = $"/k{calls}";
            var helper = NewStorage();
            await ApplyAsync(helper, h.Create(r, []), h.Create($"{r}/a", [0]), h.Create($"{r}/b", [0]), h.Create($"{r}/s", [0]));
            Txn[] batch = [h.Set($"{r}/a", [1]), h.Delete($"{r}/b"), h.Create($"{r}/c", [1]), h.Create($"{r}/c/d", [1]), h.Set($"{r}/s", Bytes(ItemLimit * 2, calls))];
            Txn[] next = [h.Set($"{r}/a", [2]), h.Create($"{r}/b", [2]), h.Delete($"{r}/c/d"), h.Set($"{r}/s", Bytes(ItemLimit * 3, calls))];

            using var dying = new DyingClients(Deployment.Settings, calls);
            var stalled = NewStorage(dying.Clients);
            try
            {
                await stalled.ApplyAsync(batch, _ => { }, dying.Token);
                survived = true;
            }
            catch (OperationCanceledException)
            {
            }
            // The next writer applies the batch itself, then its own; the stalled one comes back.
            await ApplyAsync(helper, batch);
            await ApplyAsync(helper, next);
            await ApplyAsync(stalled, batch);
            await h.AssertReadsAsync(NewStorage());
        }
        // Died at each of the batch's calls (about ten) before it got through once.
        Assert.True(calls > 5, $"the applier survived after {calls - 1} calls");
    }

    /// <summary>Clients of their own whose calls fail (cancelled, before they are sent) once a number of them were made: an applier that dies.</summary>
    private sealed class DyingClients : IDisposable
    {
        private readonly CancellationTokenSource _death = new();
        private int _calls;

        public DyingClients(AwsSettings settings, int callsBeforeDeath)
        {
            Clients = new AwsClients(settings);
            foreach (var client in new object[] { Clients.DynamoDb, Clients.S3 })
            {
                ((AmazonServiceClient)client).BeforeRequestEvent += (_, _) =>
                {
                    if (Interlocked.Increment(ref _calls) > callsBeforeDeath)
                    {
                        _death.Cancel();
                    }
                };
            }
        }

        public AwsClients Clients { get; }

        public CancellationToken Token => _death.Token;

        public void Dispose()
        {
            Clients.Dispose();
            _death.Dispose();
        }
    }
}
