using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Amazon.S3.Model;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// Several appliers of one batch (issue 11: every gateway may apply a batch whose writer stalled, and
/// the stalled one may wake up and apply it again, late): the key-value user storage's writes are
/// idempotent (twice, or two at once, is once) and fenced (an older batch applied after a newer one
/// changes nothing the newer one wrote).
/// </summary>
public sealed class DynamoUserStorageFencingTests : IAsyncLifetime
{
    /// <summary>Data over this many bytes goes to S3: a few KB stand in for 350 KB.</summary>
    private const int ItemLimit = 2048;

    private EmulatorDeployment _deployment = null!;

    public async Task InitializeAsync() => _deployment = await EmulatorDeployment.CreateAsync("uf");

    public async Task DisposeAsync() => await _deployment.DisposeAsync();

    private DynamoUserStorage NewStorage(AwsClients? clients = null)
    {
        clients ??= _deployment.Clients;
        return new DynamoUserStorage(clients.DynamoDb, clients.S3, _deployment.Settings.DataTable, _deployment.Settings.BucketName, _deployment.Settings.CountersTable, itemLimit: ItemLimit);
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task ApplyAsync(DynamoUserStorage storage, params Txn[] batch)
    {
        var answered = new List<long>();
        await storage.ApplyAsync(batch, t => answered.Add(t.Zxid));
        // Every applier answers every transaction, whether its writes went through or were skipped:
        // the caller fires watches and replies from it.
        Assert.Equal(batch.Select(t => t.Zxid), answered);
    }

    /// <summary>Every item of the table and every key in the bucket, written out attribute by attribute.</summary>
    private async Task<List<string>> SnapshotAsync()
    {
        var items = await _deployment.Clients.DynamoDb.ScanAsync(new ScanRequest { TableName = _deployment.Settings.DataTable, ConsistentRead = true });
        var lines = (items.Items ?? []).Select(item => string.Join(" ", item.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={Text(a.Value)}"))).ToList();
        var objects = await _deployment.Clients.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _deployment.Settings.BucketName });
        lines.AddRange((objects.S3Objects ?? []).Select(o => $"s3 {o.Key} {o.Size}"));
        lines.Sort(StringComparer.Ordinal);
        return lines;

        static string Text(AttributeValue v) =>
            v.S ?? v.N ?? (v.B is { } b ? Convert.ToBase64String(b.ToArray()) : v.SS is { Count: > 0 } ss ? "[" + string.Join(",", ss.Order(StringComparer.Ordinal)) + "]" : v.BOOL?.ToString(CultureInfo.InvariantCulture) ?? "?");
    }

    private async Task<Dictionary<string, AttributeValue>?> RawItemAsync(string path) =>
        (await _deployment.Clients.DynamoDb.GetItemAsync(new GetItemRequest { TableName = _deployment.Settings.DataTable, Key = new() { ["path"] = new AttributeValue { S = path } }, ConsistentRead = true })).Item;

    [Fact]
    public async Task The_same_batch_applied_twice_leaves_the_state_of_one_application()
    {
        var storage = NewStorage();
        var h = new NodeHistory();
        await ApplyAsync(storage, NodeHistory.Root(), h.Create("/p", []), h.Create("/p/old", [1]), h.Create("/s", Bytes(ItemLimit * 2, 1)), h.Create("/gone", Bytes(ItemLimit * 2, 2)));
        // Creates, sets (one spilled again, one of inline data), a delete of a spilled node, and
        // children added and removed under one parent (two UpdateItems on it).
        Txn[] batch = [h.Create("/p/new", [2]), h.Delete("/p/old"), h.Set("/s", Bytes(ItemLimit * 3, 3)), h.Set("/p", [4]), h.Delete("/gone"), h.Create("/n", null)];
        await ApplyAsync(storage, batch);
        var once = await SnapshotAsync();

        await ApplyAsync(storage, batch);
        Assert.Equal(once, await SnapshotAsync());
        await ApplyAsync(NewStorage(), batch);
        Assert.Equal(once, await SnapshotAsync());
        await h.AssertReadsAsync(NewStorage());
    }

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
        using (var dying = new DyingClients(_deployment.Settings, callsBeforeDeath: 2))
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
    public async Task Two_instances_applying_one_batch_at_once_leave_the_state_of_one_application()
    {
        var (one, other) = (NewStorage(), NewStorage());
        var h = new NodeHistory();
        await ApplyAsync(one, NodeHistory.Root(), h.Create("/c", []));
        for (int round = 0; round < 6; round++)
        {
            Txn[] batch = round % 2 == 0
                ? [h.Create($"/c/{round}", Bytes(ItemLimit * 2, round)), h.Create($"/c/{round}/x", [1]), h.Set("/c", [(byte)round]), h.Create($"/c/t{round}", [])]
                : [h.Delete($"/c/{round - 1}/x"), h.Set($"/c/{round - 1}", Bytes(ItemLimit * 3, round)), h.Delete($"/c/t{round - 1}"), h.Create($"/c/u{round}", []), h.Delete($"/c/{round - 1}")];
            // Each on a thread of its own, so that their calls interleave.
            await Task.WhenAll(Task.Run(() => ApplyAsync(one, batch)), Task.Run(() => ApplyAsync(other, batch)));
            await h.AssertReadsAsync(NewStorage());
            // What they left is what one application leaves: applying it once more changes nothing.
            var state = await SnapshotAsync();
            await ApplyAsync(NewStorage(), batch);
            Assert.Equal(state, await SnapshotAsync());
        }
        Assert.Equal(3, await one.CountDescendantsAsync("/c"));
    }

    [Fact]
    public async Task An_older_batch_applied_after_newer_ones_changes_nothing_they_wrote()
    {
        var storage = NewStorage();
        var h = new NodeHistory();
        await ApplyAsync(storage, NodeHistory.Root());
        Txn[] first = [h.Create("/f", [1]), h.Create("/f/c1", [1]), h.Create("/g", [1]), h.Create("/h", [1])];
        Txn[] second = [h.Set("/f", [2]), h.Create("/f/c2", [2]), h.Delete("/f/c1"), h.Delete("/h"), h.Set("/g", [2])];
        Txn[] third = [h.Delete("/g")];
        Txn[] fourth = [h.Create("/g", [3])];
        foreach (var batch in new[] { first, second, third, fourth })
        {
            await ApplyAsync(storage, batch);
        }
        var newest = await SnapshotAsync();

        // A stalled applier of each older batch wakes up, in any order.
        var late = NewStorage();
        foreach (var batch in new[] { third, first, second, third, first })
        {
            await ApplyAsync(late, batch);
            Assert.Equal(newest, await SnapshotAsync());
        }
        // Data, Stat and children of /f are the second batch's; /f/c1 and /h stay deleted; /g is the
        // fourth batch's new node.
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
        await _deployment.Clients.DynamoDb.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = _deployment.Settings.DataTable,
            Key = new() { ["path"] = new AttributeValue { S = "/t" } },
            UpdateExpression = "ADD children :x",
            ExpressionAttributeValues = new() { [":x"] = new AttributeValue { SS = ["x"] } },
        });
        Assert.Equal(0, await storage.CountDescendantsAsync("/t"));
        await _deployment.Clients.DynamoDb.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = _deployment.Settings.DataTable,
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

            using var dying = new DyingClients(_deployment.Settings, calls);
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
