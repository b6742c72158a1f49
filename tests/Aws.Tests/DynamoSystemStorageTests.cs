using Amazon.DynamoDBv2.Model;
using Amazon.S3.Model;
using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing.Contracts;

namespace ZkGateway.Aws.Tests;

/// <summary>What only the DynamoDB store has: redelivery, TransactWriteItems' limit, S3 payloads, lock items.</summary>
public sealed class DynamoSystemStorageTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(7);
    private EmulatorDeployment _deployment = null!;
    private DynamoSystemStorage _storage = null!;

    public async Task InitializeAsync()
    {
        _deployment = await EmulatorDeployment.CreateAsync("dyn");
        _storage = new DynamoSystemStorage(_deployment.Clients);
    }

    public async Task DisposeAsync() => await _deployment.DisposeAsync();

    private static SystemNode Node(string path, long zxid) =>
        new(path, new Stat(zxid, zxid, 1, 1, 0, 0, 0, 0, 0, 0, zxid), Acl.OpenAclUnsafe);

    private static Txn TxnOf(long zxid, string path, byte[]? data = null) => new(
        zxid, 1, 0, null, new WriteResult(ErrorCode.Ok, zxid),
        [new NodeChange(NodeChangeKind.Put, path, Node(path, zxid).Stat, data ?? [7])], []);

    private async Task<CommitRequest> LockedRequestAsync(long zxid, params string[] paths)
    {
        var token = LockToken.New();
        foreach (string path in paths)
        {
            Assert.True((await _storage.TryLockAsync(path, token, Lease)).Acquired);
        }
        return new CommitRequest(token, paths, [.. paths.Select(p => new SystemNodeWrite(p, Node(p, zxid)))], null, 0, TxnOf(zxid, paths[0]));
    }

    [Fact]
    public async Task A_redelivered_commit_of_a_pending_zxid_fails_and_writes_nothing()
    {
        Assert.Equal(new[] { true }, await _storage.CommitAsync([await LockedRequestAsync(5, "/a")]));
        // The writer's batch comes again (new lock token, same zxid): the pending entry exists.
        var again = await LockedRequestAsync(5, "/b");
        Assert.Equal(new[] { false }, await _storage.CommitAsync([again]));
        Assert.Null(await _storage.GetNodeAsync("/b"));
        Assert.Equal([5L], (await _storage.GetPendingAsync()).Select(t => t.Zxid));
        Assert.True((await _storage.TryLockAsync("/b", LockToken.New(), Lease)).Acquired);
    }

    [Fact]
    public async Task A_request_processed_again_under_a_new_zxid_is_refused_and_found_with_what_it_was_committed_as()
    {
        var origin = new ReplyAddress("gw-x", 42);
        Assert.Null(await _storage.FindCommittedAsync(origin));
        var first = await LockedRequestAsync(7, "/r");
        first = first with { Pending = first.Pending with { ReplyTo = origin } };
        Assert.Equal(new[] { true }, await _storage.CommitAsync([first]));

        // The writer crashed after its commit; the batch came again and the request got a new zxid.
        var again = await LockedRequestAsync(9, "/r2");
        again = again with { Pending = again.Pending with { ReplyTo = origin } };
        Assert.Equal(new[] { false }, await _storage.CommitAsync([again]));
        Assert.Null(await _storage.GetNodeAsync("/r2"));
        Assert.Equal([7L], (await _storage.GetPendingAsync()).Select(t => t.Zxid));

        var found = await _storage.FindCommittedAsync(origin);
        Assert.Equal(7, found!.Zxid);
        Assert.Equal(origin, found.Pending!.ReplyTo);
        Assert.Null(await _storage.FindCommittedAsync(origin with { RequestId = 43 }));

        // Once distributed, the request is still known, with nothing left to send.
        await _storage.PopPendingAsync(7);
        Assert.Equal(new CommittedRequest(7, null), await _storage.FindCommittedAsync(origin));
    }

    [Fact]
    public async Task A_request_of_exactly_100_items_commits_and_one_of_101_is_refused_whole()
    {
        string[] fits = [.. Enumerable.Range(0, 99).Select(i => $"/fit/{i:D3}")];
        var request = await LockedRequestAsync(1, fits);
        Assert.Equal(100, DynamoSystemStorage.CountTransactionItems(request));
        Assert.Equal(new[] { true }, await _storage.CommitAsync([request]));
        Assert.NotNull(await _storage.GetNodeAsync("/fit/098"));

        string[] tooMany = [.. Enumerable.Range(0, 100).Select(i => $"/big/{i:D3}")];
        var big = await LockedRequestAsync(2, tooMany);
        Assert.Equal(101, DynamoSystemStorage.CountTransactionItems(big));
        Assert.Equal(new[] { false }, await _storage.CommitAsync([big]));
        Assert.Contains("limit of 100", _storage.LastRefusal);
        foreach (string path in tooMany)
        {
            Assert.Null(await _storage.GetNodeAsync(path));
        }
        Assert.Equal([1L], (await _storage.GetPendingAsync()).Select(t => t.Zxid));
        // Its locks were released with the refusal.
        Assert.True((await _storage.TryLockAsync("/big/050", LockToken.New(), Lease)).Acquired);
    }

    [Fact]
    public async Task A_pending_txn_too_large_for_an_item_goes_through_S3_and_is_removed_with_its_pop()
    {
        byte[] data = new byte[400 * 1024];
        Random.Shared.NextBytes(data);
        var token = LockToken.New();
        Assert.True((await _storage.TryLockAsync("/large", token, Lease)).Acquired);
        var request = new CommitRequest(token, ["/large"], [new SystemNodeWrite("/large", Node("/large", 9))], null, 0, TxnOf(9, "/large", data));
        Assert.Equal(new[] { true }, await _storage.CommitAsync([request]));

        var pending = Assert.Single(await _storage.GetPendingAsync());
        Assert.Equal(data, Assert.Single(pending.Changes).Data);
        Assert.Single(await ListAsync("payloads/pending/"));

        await _storage.PopPendingAsync(9);
        Assert.Empty(await _storage.GetPendingAsync());
        Assert.Empty(await ListAsync("payloads/pending/"));
    }

    private async Task<List<string>> ListAsync(string prefix)
    {
        var response = await _deployment.Clients.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _deployment.Settings.BucketName, Prefix = prefix });
        return [.. (response.S3Objects ?? []).Select(o => o.Key)];
    }

    [Fact]
    public async Task Locks_of_missing_nodes_leave_no_items_behind()
    {
        var token = LockToken.New();
        Assert.True((await _storage.TryLockAsync("/ghost", token, Lease)).Acquired);
        await _storage.UnlockAsync("/ghost", token);
        // A failed create: the parent is missing, the writer locked both and commits nothing.
        var other = LockToken.New();
        Assert.True((await _storage.TryLockAsync("/ghost2", other, Lease)).Acquired);
        Assert.True((await _storage.TryLockAsync("/ghost2/c", other, Lease)).Acquired);
        await _storage.UnlockAsync("/ghost2", other);
        await _storage.UnlockAsync("/ghost2/c", other);

        var scan = await _deployment.Clients.DynamoDb.ScanAsync(new ScanRequest { TableName = _deployment.Settings.NodesTable, ConsistentRead = true });
        Assert.Empty(scan.Items ?? []);
    }

    [Fact]
    public async Task Of_many_concurrent_lockers_exactly_one_wins()
    {
        var tokens = Enumerable.Range(0, 12).Select(_ => LockToken.New()).ToList();
        var results = await Task.WhenAll(tokens.Select(t => Task.Run(async () => await _storage.TryLockAsync("/contended", t, Lease))));
        Assert.Equal(1, results.Count(r => r.Acquired));
    }

    [Fact]
    public async Task Counters_and_the_bootstrap_helpers_work_on_a_fresh_deployment()
    {
        Assert.True(await _storage.IsEmptyAsync());
        await _storage.SetCounterAsync("zxid", 3L << 32);
        Assert.Equal((3L << 32) + 1, await _storage.IncrementCounterAsync("zxid"));
        Assert.True(await LockAndCreateRootAsync());
        Assert.False(await _storage.IsEmptyAsync());
    }

    private async Task<bool> LockAndCreateRootAsync() =>
        (await _storage.CommitAsync([await LockedRequestAsync(0, "/")]))[0];

    [Fact]
    public async Task DynamoDB_rejects_ADD_and_DELETE_on_one_set_in_one_update_which_is_why_mixed_changes_rewrite_the_set()
    {
        var ex = await Assert.ThrowsAnyAsync<Amazon.DynamoDBv2.AmazonDynamoDBException>(() => _deployment.Clients.DynamoDb.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = _deployment.Settings.SessionsTable,
            Key = new() { ["sessionId"] = new AttributeValue { N = "1" } },
            UpdateExpression = "ADD #e :a DELETE #e :d",
            ExpressionAttributeNames = new() { ["#e"] = "ephemerals" },
            ExpressionAttributeValues = new() { [":a"] = new AttributeValue { SS = ["/a"] }, [":d"] = new AttributeValue { SS = ["/b"] } },
        }));
        Assert.Contains("overlap", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_refused_commit_leaves_no_S3_payload_behind()
    {
        Assert.Equal(new[] { true }, await _storage.CommitAsync([await LockedRequestAsync(11, "/x")]));
        var token = LockToken.New();
        Assert.True((await _storage.TryLockAsync("/y", token, Lease)).Acquired);
        var big = new CommitRequest(token, ["/y"], [new SystemNodeWrite("/y", Node("/y", 11))], null, 0, TxnOf(11, "/y", new byte[400 * 1024]));
        Assert.Equal(new[] { false }, await _storage.CommitAsync([big]));
        Assert.Empty(await ListAsync("payloads/pending/"));
    }

    private async Task CreateSessionAsync(long id, long zxid)
    {
        var create = new Txn(zxid, 1, id, null, new WriteResult(ErrorCode.Ok, zxid), [], []);
        Assert.Equal(new[] { true }, await _storage.CommitAsync([new CommitRequest(LockToken.New(), [], [], new SessionRecord(id, [1], 30000), 0, create)]));
    }

    private static SystemNode Ephemeral(string path, long zxid, long owner) =>
        Node(path, zxid) with { Stat = Node(path, zxid).Stat with { EphemeralOwner = owner } };

    [Fact]
    public async Task Concurrent_writers_rewriting_one_sessions_ephemeral_set_lose_no_update()
    {
        await CreateSessionAsync(42, 1);
        const int writers = 6;
        for (int w = 0; w < writers; w++)
        {
            Assert.Equal(new[] { true }, await _storage.CommitAsync([await EphemeralRequestAsync(10 + w, [($"/old{w}", Ephemeral($"/old{w}", 10 + w, 42))])]));
        }
        // Each writer (its own store instance, as separate function instances would be) deletes its
        // /old<w> and creates /new<w> in one request: both kinds of change to session 42's set at once,
        // so each rewrites the whole set conditional on its version.
        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var store = new DynamoSystemStorage(_deployment.Clients);
            var token = LockToken.New();
            Assert.True((await store.TryLockAsync($"/old{w}", token, Lease)).Acquired);
            Assert.True((await store.TryLockAsync($"/new{w}", token, Lease)).Acquired);
            var request = new CommitRequest(token, [$"/old{w}", $"/new{w}"],
                [new SystemNodeWrite($"/old{w}", null), new SystemNodeWrite($"/new{w}", Ephemeral($"/new{w}", 100 + w, 42))],
                null, 0, TxnOf(100 + w, $"/new{w}"));
            return (await store.CommitAsync([request]))[0];
        })));
        Assert.All(results, Assert.True);
        Assert.Equal(Enumerable.Range(0, writers).Select(w => $"/new{w}"), await _storage.GetEphemeralsAsync(42));
    }

    private async Task<CommitRequest> EphemeralRequestAsync(long zxid, (string Path, SystemNode? State)[] writes)
    {
        var token = LockToken.New();
        foreach (var (path, _) in writes)
        {
            Assert.True((await _storage.TryLockAsync(path, token, Lease)).Acquired);
        }
        return new CommitRequest(token, [.. writes.Select(w => w.Path)], [.. writes.Select(w => new SystemNodeWrite(w.Path, w.State))], null, 0, TxnOf(zxid, writes[0].Path));
    }

    [Fact]
    public async Task The_reap_index_lists_containers_and_ttl_nodes_until_they_are_deleted()
    {
        long ttlMarker = unchecked((long)0xFF00000000000000UL) | 5000;
        Assert.Equal(new[] { true }, await _storage.CommitAsync([await EphemeralRequestAsync(1, [
            ("/container", Ephemeral("/container", 1, NodeKinds.ContainerMarker)),
            ("/ttl", Ephemeral("/ttl", 1, ttlMarker)),
            ("/plain", Node("/plain", 1))])]));
        Assert.Equal(["/container", "/ttl"], (await _storage.ListContainersAndTtlNodesAsync()).Order(StringComparer.Ordinal));

        // A change keeps it listed; a deletion removes it, also when the item stays for a later lock holder.
        Assert.Equal(new[] { true }, await _storage.CommitAsync([await EphemeralRequestAsync(2, [("/ttl", Ephemeral("/ttl", 2, ttlMarker))])]));
        Assert.Equal(new[] { true }, await _storage.CommitAsync([await EphemeralRequestAsync(3, [("/container", null)])]));
        Assert.Equal(["/ttl"], await _storage.ListContainersAndTtlNodesAsync());
        var token = LockToken.New();
        Assert.True((await _storage.TryLockAsync("/ttl", token, Lease)).Acquired);
        var delete = new CommitRequest(token, ["/ttl"], [new SystemNodeWrite("/ttl", null)], null, 0, TxnOf(4, "/ttl"));
        var recreate = new CommitRequest(token, ["/ttl"], [new SystemNodeWrite("/ttl", Node("/ttl", 5))], null, 0, TxnOf(5, "/ttl"));
        Assert.Equal(new[] { true, true }, await _storage.CommitAsync([delete, recreate]));
        Assert.Empty(await _storage.ListContainersAndTtlNodesAsync());
    }

    [Fact]
    public async Task Popped_entries_add_their_counts_to_the_stats_item_exactly_once()
    {
        Assert.Equal(new TreeStatistics(0, 0, 0), await _storage.ReadTreeStatisticsAsync());
        await CreateSessionAsync(42, 1);
        var data = Node("/p", 2) with { Stat = Node("/p", 2).Stat with { DataLength = 10 } };
        Assert.Equal(new[] { true }, await _storage.CommitAsync([await EphemeralRequestAsync(2, [("/eph", Ephemeral("/eph", 2, 42)), ("/p", data)])]));
        await _storage.PopPendingAsync(2);
        // Two nodes; path lengths 4 + 2 plus 10 bytes of data (ZooKeeper's approximate_data_size); one ephemeral.
        Assert.Equal(new TreeStatistics(2, 16, 1), await _storage.ReadTreeStatisticsAsync());

        Assert.Equal(new[] { true }, await _storage.CommitAsync([await EphemeralRequestAsync(3, [("/eph", null)])]));
        Assert.Equal(new[] { true }, await _storage.CommitAsync([await EphemeralRequestAsync(4, [("/p", Node("/p", 4))])]));
        // Another distributor instance (it knows nothing of the counts so far) pops them.
        await new DynamoSystemStorage(_deployment.Clients).PopPendingAsync(4);
        Assert.Equal(new TreeStatistics(1, 2, 0), await _storage.ReadTreeStatisticsAsync());

        // An entry at or below what was counted (a pop repeated after a crash between its count and its
        // deletes) is not counted again.
        Assert.Equal(new[] { true }, await _storage.CommitAsync([await EphemeralRequestAsync(3, [("/q", Node("/q", 3))])]));
        await new DynamoSystemStorage(_deployment.Clients).PopPendingAsync(4);
        Assert.Empty(await _storage.GetPendingAsync());
        Assert.Equal(new TreeStatistics(1, 2, 0), await _storage.ReadTreeStatisticsAsync());
    }

    [Fact]
    public async Task An_ephemeral_for_a_session_that_does_not_exist_is_refused()
    {
        Assert.Equal(new[] { false }, await _storage.CommitAsync([await EphemeralRequestAsync(3, [("/orphan", Ephemeral("/orphan", 3, 404))])]));
        Assert.Null(await _storage.GetNodeAsync("/orphan"));
        Assert.Null(await _storage.GetSessionAsync(404));
        Assert.Empty(await _storage.GetPendingAsync());
    }

    [Fact]
    public async Task A_request_resting_on_a_refused_one_of_the_same_batch_is_refused_too()
    {
        // One writer batch: a multi of 100 creates (too big) including /dep, then a create of
        // /dep/child that the writer validated against the multi's staged /dep.
        var token = LockToken.New();
        string[] paths = [.. Enumerable.Range(0, 99).Select(i => $"/m/{i:D3}"), "/dep"];
        foreach (string path in paths.Append("/dep/child"))
        {
            Assert.True((await _storage.TryLockAsync(path, token, Lease)).Acquired);
        }
        var multi = new CommitRequest(token, paths, [.. paths.Select(p => new SystemNodeWrite(p, Node(p, 1)))], null, 0, TxnOf(1, "/dep"));
        var child = new CommitRequest(token, ["/dep", "/dep/child"],
            [new SystemNodeWrite("/dep", Node("/dep", 1) with { Stat = Node("/dep", 1).Stat with { NumChildren = 1 } }), new SystemNodeWrite("/dep/child", Node("/dep/child", 2))],
            null, 0, TxnOf(2, "/dep/child"));
        var unrelated = new CommitRequest(token, ["/free"], [new SystemNodeWrite("/free", Node("/free", 3))], null, 0, TxnOf(3, "/free"));
        Assert.True((await _storage.TryLockAsync("/free", token, Lease)).Acquired);

        Assert.Equal(new[] { false, false, true }, await _storage.CommitAsync([multi, child, unrelated]));
        Assert.Null(await _storage.GetNodeAsync("/dep"));
        Assert.Null(await _storage.GetNodeAsync("/dep/child"));
        Assert.NotNull(await _storage.GetNodeAsync("/free"));
        Assert.True((await _storage.TryLockAsync("/dep", LockToken.New(), Lease)).Acquired);
        Assert.True((await _storage.TryLockAsync("/dep/child", LockToken.New(), Lease)).Acquired);
    }
}
