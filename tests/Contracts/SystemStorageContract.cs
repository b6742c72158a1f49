using ZkGateway.Backend;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Testing.Contracts;

/// <summary>
/// The <see cref="ISystemStorage"/> contract, run against every implementation: the embedded store
/// (Backend.Tests) and DynamoDB on the emulator (Aws.Tests). Each test gets a fresh,
/// empty store on a clock of its own.
/// </summary>
public abstract class SystemStorageContract
{
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(7);

    protected ManualTime Time { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>A fresh, empty store whose lock lapses follow <see cref="Time"/>.</summary>
    protected abstract Task<ISystemStorage> CreateStorageAsync();

    protected static Stat StatOf(long zxid, long ephemeralOwner = 0, int numChildren = 0) =>
        new(zxid, zxid, 1000, 1000, 0, 0, 0, ephemeralOwner, 0, numChildren, zxid);

    protected static SystemNode Node(string path, long zxid, long ephemeralOwner = 0, int numChildren = 0) =>
        new(path, StatOf(zxid, ephemeralOwner, numChildren), Acl.OpenAclUnsafe);

    protected static Txn TxnOf(long zxid, params SystemNode?[] puts) => new(
        zxid, 1000, 0, null, new WriteResult(ErrorCode.Ok, zxid),
        [.. puts.OfType<SystemNode>().Select(n => new NodeChange(NodeChangeKind.Put, n.Path, n.Stat, [1, 2, 3], n.Acl))],
        [new WatchTrigger(EventType.NodeCreated, "/w")]);

    protected static Txn DeleteTxn(long zxid, string path) => new(
        zxid, 1000, 0, null, new WriteResult(ErrorCode.Ok, zxid),
        [new NodeChange(NodeChangeKind.Delete, path, default)], []);

    /// <summary>Locks the paths and commits writes (a node, or null to delete) as one request.</summary>
    protected static async Task<bool> LockAndCommitAsync(ISystemStorage storage, long zxid, params (string Path, SystemNode? State)[] writes)
    {
        var token = LockToken.New();
        foreach (var (path, _) in writes)
        {
            Assert.True((await storage.TryLockAsync(path, token, Lease)).Acquired);
        }
        var txn = writes.Any(w => w.State is null) ? DeleteTxn(zxid, writes[0].Path) : TxnOf(zxid, [.. writes.Select(w => w.State)]);
        var request = new CommitRequest(token, [.. writes.Select(w => w.Path)], [.. writes.Select(w => new SystemNodeWrite(w.Path, w.State))], null, 0, txn);
        return (await storage.CommitAsync([request]))[0];
    }

    [Fact]
    public async Task Lock_on_a_missing_node_reads_null_and_does_not_create_it()
    {
        var storage = await CreateStorageAsync();
        var token = LockToken.New();
        var result = await storage.TryLockAsync("/missing", token, Lease);
        Assert.True(result.Acquired);
        Assert.Null(result.Node);
        Assert.Null(await storage.GetNodeAsync("/missing"));
        await storage.UnlockAsync("/missing", token);
        Assert.Null(await storage.GetNodeAsync("/missing"));
    }

    [Fact]
    public async Task Lock_is_exclusive_reentrant_and_released_only_by_its_token()
    {
        var storage = await CreateStorageAsync();
        var mine = LockToken.New();
        var other = LockToken.New();
        Assert.True((await storage.TryLockAsync("/a", mine, Lease)).Acquired);
        Assert.True((await storage.TryLockAsync("/a", mine, Lease)).Acquired);
        Assert.False((await storage.TryLockAsync("/a", other, Lease)).Acquired);

        await storage.UnlockAsync("/a", other);
        Assert.False((await storage.TryLockAsync("/a", other, Lease)).Acquired);

        await storage.UnlockAsync("/a", mine);
        Assert.True((await storage.TryLockAsync("/a", other, Lease)).Acquired);
    }

    [Fact]
    public async Task Lapsed_lock_can_be_taken_and_the_old_holder_can_no_longer_commit()
    {
        var storage = await CreateStorageAsync();
        var old = LockToken.New();
        Assert.True((await storage.TryLockAsync("/a", old, Lease)).Acquired);
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        var thief = LockToken.New();
        Assert.True((await storage.TryLockAsync("/a", thief, Lease)).Acquired);

        var request = new CommitRequest(old, ["/a"], [new SystemNodeWrite("/a", Node("/a", 5))], null, 0, TxnOf(5, Node("/a", 5)));
        Assert.Equal(new[] { false }, await storage.CommitAsync([request]));
        Assert.Null(await storage.GetNodeAsync("/a"));
        Assert.Empty(await storage.GetPendingAsync());
        // The thief still holds it.
        Assert.False((await storage.TryLockAsync("/a", LockToken.New(), Lease)).Acquired);
    }

    [Fact]
    public async Task A_later_delivery_of_a_batch_takes_over_its_locks_and_an_earlier_one_cannot_take_them_back()
    {
        var storage = await CreateStorageAsync();
        var first = LockToken.ForBatch("gw#1", 1);
        Assert.True((await storage.TryLockAsync("/a", first, Lease)).Acquired);
        // Neither another batch, nor the same delivery again (a queue that does not count deliveries),
        // nor an untagged writer may take it while the lease runs.
        Assert.False((await storage.TryLockAsync("/a", LockToken.ForBatch("gw#2", 5), Lease)).Acquired);
        Assert.False((await storage.TryLockAsync("/a", LockToken.ForBatch("gw#1", 1), Lease)).Acquired);
        Assert.False((await storage.TryLockAsync("/a", LockToken.New(), Lease)).Acquired);

        // The batch delivered again (its first holder dead or stalled) takes it at once, no time passing.
        var second = LockToken.ForBatch("gw#1", 2);
        Assert.True((await storage.TryLockAsync("/a", second, Lease)).Acquired);
        // The first delivery, woken, can neither take it back nor commit under it.
        Assert.False((await storage.TryLockAsync("/a", first, Lease)).Acquired);
        var late = new CommitRequest(first, ["/a"], [new SystemNodeWrite("/a", Node("/a", 5))], null, 0, TxnOf(5, Node("/a", 5)));
        bool[]? lateApplied = null;
        try
        {
            lateApplied = await storage.CommitAsync([late]);
        }
        catch (LockLostException)
        {
            // A store that lets a batch's writer stop at a lost lock (DynamoDB) says so instead.
        }
        Assert.True(lateApplied is null or [false]);
        Assert.Null(await storage.GetNodeAsync("/a"));
        Assert.Empty(await storage.GetPendingAsync());

        // The taker commits; the release clears the batch's claim, so the lock is free for anyone.
        var commit = new CommitRequest(second, ["/a"], [new SystemNodeWrite("/a", Node("/a", 6))], null, 0, TxnOf(6, Node("/a", 6)));
        Assert.Equal(new[] { true }, await storage.CommitAsync([commit]));
        Assert.Equal(6, (await storage.GetNodeAsync("/a"))!.Stat.Mzxid);
        Assert.True((await storage.TryLockAsync("/a", LockToken.New(), Lease)).Acquired);
    }

    [Fact]
    public async Task Commit_after_the_lease_lapsed_fails_even_if_nobody_took_the_lock()
    {
        var storage = await CreateStorageAsync();
        var token = LockToken.New();
        Assert.True((await storage.TryLockAsync("/a", token, Lease)).Acquired);
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        var request = new CommitRequest(token, ["/a"], [new SystemNodeWrite("/a", Node("/a", 5))], null, 0, TxnOf(5, Node("/a", 5)));
        Assert.Equal(new[] { false }, await storage.CommitAsync([request]));
        Assert.Null(await storage.GetNodeAsync("/a"));
    }

    [Fact]
    public async Task Commit_writes_the_node_releases_the_lock_and_appends_the_pending_txn()
    {
        var storage = await CreateStorageAsync();
        var node = Node("/a", 7);
        Assert.True(await LockAndCommitAsync(storage, 7, ("/a", node)));

        Assert.Equal(node.Stat, (await storage.GetNodeAsync("/a"))!.Stat);
        var relock = await storage.TryLockAsync("/a", LockToken.New(), Lease);
        Assert.True(relock.Acquired);
        Assert.Equal(node.Stat, relock.Node!.Stat);
        Assert.Equal(node.Acl, relock.Node.Acl);

        var pending = Assert.Single(await storage.GetPendingAsync());
        Assert.Equal(7, pending.Zxid);
        var change = Assert.Single(pending.Changes);
        Assert.Equal("/a", change.Path);
        Assert.Equal([1, 2, 3], change.Data);
        Assert.Equal(node.Stat, change.Stat);
        Assert.Equal(EventType.NodeCreated, Assert.Single(pending.Triggers).Type);
    }

    [Fact]
    public async Task Delete_removes_the_node()
    {
        var storage = await CreateStorageAsync();
        Assert.True(await LockAndCommitAsync(storage, 1, ("/a", Node("/a", 1))));
        Assert.True(await LockAndCommitAsync(storage, 2, ("/a", null)));
        Assert.Null(await storage.GetNodeAsync("/a"));
        var relock = await storage.TryLockAsync("/a", LockToken.New(), Lease);
        Assert.True(relock.Acquired);
        Assert.Null(relock.Node);
    }

    [Fact]
    public async Task A_request_with_one_lost_lock_writes_nothing_at_all()
    {
        var storage = await CreateStorageAsync();
        Assert.True(await LockAndCommitAsync(storage, 1, ("/p", Node("/p", 1))));
        var token = LockToken.New();
        Assert.True((await storage.TryLockAsync("/p", token, Lease)).Acquired);
        Assert.True((await storage.TryLockAsync("/p/c", token, Lease)).Acquired);
        // Someone else takes /p after our lease lapsed; /p/c is still (nominally) ours, re-locked fresh.
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.True((await storage.TryLockAsync("/p/c", token, Lease)).Acquired);
        Assert.True((await storage.TryLockAsync("/p", LockToken.New(), Lease)).Acquired);

        var request = new CommitRequest(token, ["/p", "/p/c"],
            [new SystemNodeWrite("/p", Node("/p", 1, numChildren: 1)), new SystemNodeWrite("/p/c", Node("/p/c", 2))],
            null, 0, TxnOf(2, Node("/p/c", 2)));
        Assert.Equal(new[] { false }, await storage.CommitAsync([request]));
        Assert.Null(await storage.GetNodeAsync("/p/c"));
        Assert.Equal(0, (await storage.GetNodeAsync("/p"))!.Stat.NumChildren);
        Assert.Equal([1L], (await storage.GetPendingAsync()).Select(t => t.Zxid));
        // /p/c's lock was released with the failed request.
        Assert.True((await storage.TryLockAsync("/p/c", LockToken.New(), Lease)).Acquired);
    }

    [Fact]
    public async Task Batch_requests_sharing_a_parent_lock_all_commit_and_release_every_lock()
    {
        var storage = await CreateStorageAsync();
        Assert.True(await LockAndCommitAsync(storage, 1, ("/p", Node("/p", 1))));
        var token = LockToken.New();
        var requests = new List<CommitRequest>();
        for (int i = 0; i < 3; i++)
        {
            string child = $"/p/c{i}";
            Assert.True((await storage.TryLockAsync("/p", token, Lease)).Acquired);
            Assert.True((await storage.TryLockAsync(child, token, Lease)).Acquired);
            var parent = Node("/p", 1, numChildren: i + 1);
            requests.Add(new CommitRequest(token, ["/p", child],
                [new SystemNodeWrite("/p", parent), new SystemNodeWrite(child, Node(child, 2 + i))], null, 0, TxnOf(2 + i, Node(child, 2 + i), parent)));
        }
        Assert.Equal(new[] { true, true, true }, await storage.CommitAsync(requests));
        Assert.Equal(3, (await storage.GetNodeAsync("/p"))!.Stat.NumChildren);
        Assert.Equal([1L, 2, 3, 4], (await storage.GetPendingAsync()).Select(t => t.Zxid));
        foreach (string path in new[] { "/p", "/p/c0", "/p/c1", "/p/c2" })
        {
            Assert.True((await storage.TryLockAsync(path, LockToken.New(), Lease)).Acquired, path);
        }
    }

    [Fact]
    public async Task A_failed_request_does_not_stop_the_next_one_of_the_batch()
    {
        var storage = await CreateStorageAsync();
        var token = LockToken.New();
        Assert.True((await storage.TryLockAsync("/lost", token, Lease)).Acquired);
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.True((await storage.TryLockAsync("/lost", LockToken.New(), Lease)).Acquired);
        Assert.True((await storage.TryLockAsync("/ok", token, Lease)).Acquired);
        var requests = new[]
        {
            new CommitRequest(token, ["/lost"], [new SystemNodeWrite("/lost", Node("/lost", 1))], null, 0, TxnOf(1, Node("/lost", 1))),
            new CommitRequest(token, ["/ok"], [new SystemNodeWrite("/ok", Node("/ok", 2))], null, 0, TxnOf(2, Node("/ok", 2))),
        };
        Assert.Equal(new[] { false, true }, await storage.CommitAsync(requests));
        Assert.Null(await storage.GetNodeAsync("/lost"));
        Assert.NotNull(await storage.GetNodeAsync("/ok"));
        Assert.Equal([2L], (await storage.GetPendingAsync()).Select(t => t.Zxid));
    }

    [Fact]
    public async Task Pending_list_keeps_zxid_order_skips_no_op_txns_and_pops_up_to_a_zxid()
    {
        var storage = await CreateStorageAsync();
        // Committed out of order (each in its own call) to show the list is ordered by zxid.
        foreach (long zxid in new long[] { 3, 1, 2, 5, 4 })
        {
            Assert.True(await LockAndCommitAsync(storage, zxid, ($"/n{zxid}", Node($"/n{zxid}", zxid))));
        }
        // A txn that changes nothing (a created session) is not pending.
        var session = new SessionRecord(77, [1, 2], 5000);
        var noChange = new Txn(6, 1000, 77, null, new WriteResult(ErrorCode.Ok, 6), [], []);
        Assert.Equal(new[] { true }, await storage.CommitAsync([new CommitRequest(LockToken.New(), [], [], session, 0, noChange)]));

        Assert.Equal([1L, 2, 3, 4, 5], (await storage.GetPendingAsync()).Select(t => t.Zxid));
        await storage.PopPendingAsync(3);
        Assert.Equal([4L, 5], (await storage.GetPendingAsync()).Select(t => t.Zxid));
        await storage.PopPendingAsync(3);
        Assert.Equal([4L, 5], (await storage.GetPendingAsync()).Select(t => t.Zxid));
        await storage.PopPendingAsync(10);
        Assert.Empty(await storage.GetPendingAsync());
    }

    [Fact]
    public async Task Counters_start_at_zero_and_concurrent_increments_never_repeat()
    {
        var storage = await CreateStorageAsync();
        Assert.Equal(0, await storage.ReadCounterAsync("c"));
        Assert.Equal(1, await storage.IncrementCounterAsync("c"));
        var values = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => storage.IncrementCounterAsync("c").AsTask()));
        Assert.Equal(Enumerable.Range(2, 40).Select(v => (long)v), values.Order());
        Assert.Equal(41, await storage.ReadCounterAsync("c"));
        Assert.Equal(0, await storage.ReadCounterAsync("other"));
    }

    [Fact]
    public async Task Sessions_and_their_ephemerals_follow_creates_deletes_and_close()
    {
        var storage = await CreateStorageAsync();
        var session = new SessionRecord(0x1234_5678_9abc, [1, 2, 3, 4], 30000);
        var create = new Txn(1, 1000, session.SessionId, null, new WriteResult(ErrorCode.Ok, 1), [], []);
        Assert.Equal(new[] { true }, await storage.CommitAsync([new CommitRequest(LockToken.New(), [], [], session, 0, create)]));
        var read = await storage.GetSessionAsync(session.SessionId);
        Assert.Equal(session.Password, read!.Password);
        Assert.Equal(30000, read.TimeoutMs);
        Assert.Equal([session.SessionId], (await storage.ListSessionsAsync()).Select(s => s.SessionId));
        Assert.Null(await storage.GetSessionAsync(42));

        Assert.True(await LockAndCommitAsync(storage, 2, ("/e1", Node("/e1", 2, session.SessionId)), ("/plain", Node("/plain", 2))));
        Assert.True(await LockAndCommitAsync(storage, 3, ("/e2", Node("/e2", 3, session.SessionId))));
        Assert.True(await LockAndCommitAsync(storage, 4, ("/container", Node("/container", 4, ephemeralOwner: long.MinValue))));
        Assert.Equal(["/e1", "/e2"], await storage.GetEphemeralsAsync(session.SessionId));
        Assert.Equal(2, await storage.CountEphemeralsAsync());

        Assert.True(await LockAndCommitAsync(storage, 5, ("/e1", null)));
        Assert.Equal(["/e2"], await storage.GetEphemeralsAsync(session.SessionId));

        await storage.UpdateSessionTimeoutAsync(session.SessionId, 12000);
        Assert.Equal(12000, (await storage.GetSessionAsync(session.SessionId))!.TimeoutMs);
        await storage.UpdateSessionTimeoutAsync(999, 12000);
        Assert.Null(await storage.GetSessionAsync(999));

        // closeSession: ephemerals deleted and the session removed in one request.
        var token = LockToken.New();
        Assert.True((await storage.TryLockAsync("/e2", token, Lease)).Acquired);
        var close = new CommitRequest(token, ["/e2"], [new SystemNodeWrite("/e2", null)], null, session.SessionId, DeleteTxn(6, "/e2"));
        Assert.Equal(new[] { true }, await storage.CommitAsync([close]));
        Assert.Null(await storage.GetSessionAsync(session.SessionId));
        Assert.Empty(await storage.ListSessionsAsync());
        Assert.Empty(await storage.GetEphemeralsAsync(session.SessionId));
        Assert.Equal(0, await storage.CountEphemeralsAsync());
        Assert.Null(await storage.GetNodeAsync("/e2"));
    }

    [Fact]
    public async Task One_request_can_delete_one_ephemeral_and_create_another_of_the_same_session()
    {
        var storage = await CreateStorageAsync();
        var session = new SessionRecord(5, [9], 30000);
        var create = new Txn(1, 1000, 5, null, new WriteResult(ErrorCode.Ok, 1), [], []);
        Assert.Equal(new[] { true }, await storage.CommitAsync([new CommitRequest(LockToken.New(), [], [], session, 0, create)]));
        Assert.True(await LockAndCommitAsync(storage, 2, ("/old", Node("/old", 2, 5)), ("/keep", Node("/keep", 2, 5))));

        // A multi: delete /old, create /new, both ephemerals of session 5.
        var token = LockToken.New();
        Assert.True((await storage.TryLockAsync("/old", token, Lease)).Acquired);
        Assert.True((await storage.TryLockAsync("/new", token, Lease)).Acquired);
        var multi = new CommitRequest(token, ["/old", "/new"],
            [new SystemNodeWrite("/old", null), new SystemNodeWrite("/new", Node("/new", 3, 5))], null, 0, TxnOf(3, Node("/new", 3, 5)));
        Assert.Equal(new[] { true }, await storage.CommitAsync([multi]));
        Assert.Equal(["/keep", "/new"], await storage.GetEphemeralsAsync(5));
        Assert.Equal(2, await storage.CountEphemeralsAsync());
    }

    [Fact]
    public async Task An_ephemeral_created_and_deleted_in_one_batch_leaves_no_trace()
    {
        var storage = await CreateStorageAsync();
        var session = new SessionRecord(8, [9], 30000);
        var create = new Txn(1, 1000, 8, null, new WriteResult(ErrorCode.Ok, 1), [], []);
        Assert.Equal(new[] { true }, await storage.CommitAsync([new CommitRequest(LockToken.New(), [], [], session, 0, create)]));
        var token = LockToken.New();
        Assert.True((await storage.TryLockAsync("/e", token, Lease)).Acquired);
        var requests = new[]
        {
            new CommitRequest(token, ["/e"], [new SystemNodeWrite("/e", Node("/e", 2, 8))], null, 0, TxnOf(2, Node("/e", 2, 8))),
            new CommitRequest(token, ["/e"], [new SystemNodeWrite("/e", null)], null, 0, DeleteTxn(3, "/e")),
        };
        Assert.Equal(new[] { true, true }, await storage.CommitAsync(requests));
        Assert.Null(await storage.GetNodeAsync("/e"));
        Assert.Empty(await storage.GetEphemeralsAsync(8));
        Assert.True((await storage.TryLockAsync("/e", LockToken.New(), Lease)).Acquired);
    }
}
