using ZkGateway.Backend;
using ZkGateway.Backend.Aws;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Functions.Writer;
using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Data;
using ZkGateway.Jute.Protocol;
using ZkGateway.Testing.Contracts;

namespace ZkGateway.Aws.Tests;

/// <summary>
/// closeSession of a session with more ephemerals than one TransactWriteItems holds (100 items): the
/// writer on DynamoDB splits it into parts (docs/serverless.md, "closeSession in parts"), each a
/// transaction of its own, the last one deleting the session and carrying the reply; a writer that
/// dies between parts leaves a state that the redelivered close finishes. Also the writer's other
/// redelivery rule on DynamoDB: a request processed again keeps its first outcome.
/// </summary>
public sealed class SplitCloseTests : IAsyncLifetime
{
    private const long Session = 0x5e55;
    private EmulatorDeployment _deployment = null!;
    private readonly ManualTime _time = new(DateTimeOffset.UtcNow);
    private DynamoSystemStorage _storage = null!;
    private long _requestId;

    public async Task InitializeAsync()
    {
        _deployment = await EmulatorDeployment.CreateAsync("split");
        _storage = new DynamoSystemStorage(_deployment.Clients, _time);
        // The root, as the bootstrap writes it, and the zxid counter.
        var token = LockToken.New();
        await _storage.TryLockAsync("/", token, WriterFunction.LockLease);
        var root = new SystemNode("/", new Stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), Acl.OpenAclUnsafe);
        var txn = new Txn(0, 0, 0, null, new WriteResult(ErrorCode.Ok, 0), [new NodeChange(NodeChangeKind.Put, "/", root.Stat, [])], []);
        Assert.Equal(new[] { true }, await _storage.CommitAsync([new CommitRequest(token, ["/"], [new SystemNodeWrite("/", root)], null, 0, txn)]));
        await _storage.SetCounterAsync(WriterFunction.ZxidCounter, 1L << 32);
    }

    public async Task DisposeAsync() => await _deployment.DisposeAsync();

    private WriteRequest Request(WriteOperation op, long session = Session) =>
        new(session, op, new ReplyAddress("gw-test", Interlocked.Increment(ref _requestId)), CallerIdentity.Anonymous);

    private static CreateOperation Create(string path, CreateMode mode = CreateMode.Persistent) => new(path, [1], Acl.OpenAclUnsafe, mode);

    /// <summary>A session owning <paramref name="count"/> ephemerals spread over two parents.</summary>
    private async Task<List<string>> SessionWithEphemeralsAsync(WriterFunction writer, int count)
    {
        await writer.HandleBatchAsync([Request(new CreateSessionOperation(Session, new byte[16], 30000))], default);
        await writer.HandleBatchAsync([Request(Create("/a")), Request(Create("/b"))], default);
        var paths = Enumerable.Range(0, count).Select(i => $"/{(i % 5 == 0 ? 'b' : 'a')}/e{i:D4}").ToList();
        foreach (var chunk in paths.Chunk(50))
        {
            await writer.HandleBatchAsync([.. chunk.Select(p => Request(Create(p, CreateMode.Ephemeral)))], default);
        }
        Assert.Equal(count, (await _storage.GetEphemeralsAsync(Session)).Count);
        return paths;
    }

    [Fact]
    public async Task Closing_a_session_with_250_ephemerals_deletes_them_all_in_parts_in_zxid_order()
    {
        var sent = new RecordingQueue();
        var writer = new WriterFunction(_storage, sent, _time, new BackendOptions());
        var paths = await SessionWithEphemeralsAsync(writer, 250);
        sent.Messages.Clear();

        var close = Request(new CloseSessionOperation());
        await writer.HandleBatchAsync([close], default);

        var parts = sent.Messages.ToList();
        Assert.True(parts.Count >= 3, $"{parts.Count} parts");
        Assert.Equal(parts.Select(t => t.Zxid).Order(), parts.Select(t => t.Zxid));
        Assert.Equal(parts.Count, parts.Select(t => t.Zxid).Distinct().Count());
        // Only the last part answers the client and ends the session.
        Assert.All(parts[..^1], p => Assert.True(p.ReplyTo is null && p.ClosedSessionId == 0));
        Assert.Equal(close.ReplyTo, parts[^1].ReplyTo);
        Assert.Equal(Session, parts[^1].ClosedSessionId);
        Assert.Equal((ErrorCode.Ok, parts[^1].Zxid), (parts[^1].Result.Error, parts[^1].Result.Zxid));
        // Every ephemeral deleted once, with its NodeDeleted, before the reply.
        var deleted = parts.SelectMany(p => p.Changes).Where(c => c.Kind == NodeChangeKind.Delete).Select(c => c.Path).ToList();
        Assert.Equal(paths.Order(StringComparer.Ordinal), deleted.Order(StringComparer.Ordinal));
        Assert.Equal(250, parts.SelectMany(p => p.Triggers).Count(t => t.Type == EventType.NodeDeleted));
        // The parents' last Stat has no children, and system storage agrees.
        var lastA = parts.SelectMany(p => p.Changes).Last(c => c.Path == "/a");
        Assert.Equal((0, parts.Last(p => p.Changes.Any(c => c.Path == "/a")).Zxid), (lastA.Stat.NumChildren, lastA.Stat.Pzxid));
        Assert.Equal(0, (await _storage.GetNodeAsync("/a"))!.Stat.NumChildren);
        Assert.Equal(0, (await _storage.GetNodeAsync("/b"))!.Stat.NumChildren);
        foreach (string path in paths)
        {
            Assert.Null(await _storage.GetNodeAsync(path));
        }
        Assert.Null(await _storage.GetSessionAsync(Session));
        Assert.Empty(await _storage.GetPendingClosePartsAsync(Session));
        // Every part is pending for the distributor, in order.
        Assert.Equal(parts.Select(p => p.Zxid), (await _storage.GetPendingAsync()).Select(t => t.Zxid).Where(z => z >= parts[0].Zxid));
    }

    [Fact]
    public async Task A_writer_that_dies_between_parts_leaves_a_close_that_its_redelivery_finishes()
    {
        var paths = await SessionWithEphemeralsAsync(new WriterFunction(_storage, new RecordingQueue(), _time, new BackendOptions()), 250);

        // The first attempt commits two parts, then its process dies (nothing is distributed).
        var crashing = new CrashAfterCommits(_storage, 2);
        var close = Request(new CloseSessionOperation());
        await Assert.ThrowsAsync<InvalidOperationException>(() => new WriterFunction(crashing, new RecordingQueue(), _time, new BackendOptions()).HandleBatchAsync([close], default));
        var left = await _storage.GetEphemeralsAsync(Session);
        Assert.InRange(left.Count, 1, 249);
        var earlier = await _storage.GetPendingClosePartsAsync(Session);
        Assert.Equal(2, earlier.Count);

        // Meanwhile the session is closing: it cannot own a new ephemeral (its request fails to commit).
        _time.Advance(TimeSpan.FromSeconds(8));
        var sent = new RecordingQueue();
        var writer = new WriterFunction(_storage, sent, _time, new BackendOptions());
        await writer.HandleBatchAsync([Request(Create("/a/late", CreateMode.Ephemeral))], default);
        Assert.Equal(ErrorCode.SystemError, sent.Messages.Single().Result.Error);
        Assert.Null(await _storage.GetNodeAsync("/a/late"));
        sent.Messages.Clear();

        // The close comes again once the dead writer's locks have lapsed.
        await writer.HandleBatchAsync([close], default);
        var parts = sent.Messages.ToList();
        Assert.Equal(earlier.Select(t => t.Zxid), parts.Take(2).Select(t => t.Zxid));
        Assert.Equal(parts.Select(t => t.Zxid).Order(), parts.Select(t => t.Zxid));
        var deleted = parts.SelectMany(p => p.Changes).Where(c => c.Kind == NodeChangeKind.Delete).Select(c => c.Path).ToList();
        Assert.Equal(paths.Order(StringComparer.Ordinal), deleted.Order(StringComparer.Ordinal));
        Assert.Equal((close.ReplyTo, Session), (parts[^1].ReplyTo, parts[^1].ClosedSessionId));
        Assert.Null(await _storage.GetSessionAsync(Session));
        Assert.Equal(0, (await _storage.GetNodeAsync("/a"))!.Stat.NumChildren);
        Assert.Equal(0, (await _storage.GetNodeAsync("/b"))!.Stat.NumChildren);
    }

    [Fact]
    public async Task A_close_that_fits_one_transaction_is_not_split()
    {
        var sent = new RecordingQueue();
        var writer = new WriterFunction(_storage, sent, _time, new BackendOptions());
        await SessionWithEphemeralsAsync(writer, 40);
        sent.Messages.Clear();
        await writer.HandleBatchAsync([Request(new CloseSessionOperation())], default);
        var txn = Assert.Single(sent.Messages);
        Assert.Equal(40, txn.Changes.Count(c => c.Kind == NodeChangeKind.Delete));
        Assert.Null(await _storage.GetSessionAsync(Session));
    }

    [Fact]
    public async Task A_request_processed_again_keeps_its_first_outcome_failed_or_committed()
    {
        var sent = new RecordingQueue();
        var writer = new WriterFunction(_storage, sent, _time, new BackendOptions());
        await writer.HandleBatchAsync([Request(new CreateSessionOperation(Session, new byte[16], 30000))], default);

        // Failed first (no parent), then the parent appears, then the writer's batch comes again.
        var orphan = Request(Create("/x/y"));
        await writer.HandleBatchAsync([orphan], default);
        var first = sent.Messages[^1];
        Assert.Equal(ErrorCode.NoNode, first.Result.Error);
        await writer.HandleBatchAsync([Request(Create("/x"))], default);
        sent.Messages.Clear();
        await writer.HandleBatchAsync([orphan], default);
        var again = Assert.Single(sent.Messages);
        Assert.Equal((ErrorCode.NoNode, first.Zxid), (again.Result.Error, again.Zxid));
        Assert.Null(await _storage.GetNodeAsync("/x/y"));

        // Committed first; processed again it would fail (NodeExists): its commit is answered instead.
        var create = Request(Create("/z"));
        await writer.HandleBatchAsync([create], default);
        var made = sent.Messages[^1];
        Assert.Equal(ErrorCode.Ok, made.Result.Error);
        sent.Messages.Clear();
        await writer.HandleBatchAsync([create], default);
        var resent = Assert.Single(sent.Messages);
        Assert.Equal((ErrorCode.Ok, made.Zxid, create.ReplyTo), (resent.Result.Error, resent.Zxid, resent.ReplyTo));
    }

    /// <summary>The distributor queue, recording what the writer pushes.</summary>
    private sealed class RecordingQueue : IOrderedQueue<Txn>
    {
        public List<Txn> Messages { get; } = [];

        public ValueTask SendAsync(Txn message, CancellationToken cancellationToken = default)
        {
            Messages.Add(message);
            return ValueTask.CompletedTask;
        }

        public ValueTask<QueueBatch<Txn>> ReceiveBatchAsync(int maxBatch, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask AcknowledgeAsync(QueueBatch<Txn> batch, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public void Complete()
        {
        }
    }

    /// <summary>The store, but a batch's commit stops after <paramref name="commits"/> requests, as if the writer's process died there.</summary>
    private sealed class CrashAfterCommits(ISystemStorage inner, int commits) : ISystemStorage
    {
        public async ValueTask<bool[]> CommitAsync(IReadOnlyList<CommitRequest> requests, CancellationToken cancellationToken = default)
        {
            await inner.CommitAsync([.. requests.Take(commits)], cancellationToken);
            throw new InvalidOperationException("the writer died");
        }

        public bool FitsOneCommit(CommitRequest request) => inner.FitsOneCommit(request);

        public ValueTask<IReadOnlyList<Txn>> GetPendingClosePartsAsync(long sessionId, CancellationToken cancellationToken = default) => inner.GetPendingClosePartsAsync(sessionId, cancellationToken);

        public ValueTask<CommittedRequest?> FindCommittedAsync(ReplyAddress request, CancellationToken cancellationToken = default) => inner.FindCommittedAsync(request, cancellationToken);

        public ValueTask<LockResult> TryLockAsync(string path, LockToken token, TimeSpan lease, CancellationToken cancellationToken = default) => inner.TryLockAsync(path, token, lease, cancellationToken);

        public ValueTask UnlockAsync(string path, LockToken token, CancellationToken cancellationToken = default) => inner.UnlockAsync(path, token, cancellationToken);

        public ValueTask<long> IncrementCounterAsync(string name, CancellationToken cancellationToken = default) => inner.IncrementCounterAsync(name, cancellationToken);

        public ValueTask<long> ReadCounterAsync(string name, CancellationToken cancellationToken = default) => inner.ReadCounterAsync(name, cancellationToken);

        public ValueTask<SystemNode?> GetNodeAsync(string path, CancellationToken cancellationToken = default) => inner.GetNodeAsync(path, cancellationToken);

        public ValueTask<IReadOnlyList<Txn>> GetPendingAsync(CancellationToken cancellationToken = default) => inner.GetPendingAsync(cancellationToken);

        public ValueTask PopPendingAsync(long zxid, CancellationToken cancellationToken = default) => inner.PopPendingAsync(zxid, cancellationToken);

        public ValueTask<SessionRecord?> GetSessionAsync(long sessionId, CancellationToken cancellationToken = default) => inner.GetSessionAsync(sessionId, cancellationToken);

        public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(CancellationToken cancellationToken = default) => inner.ListSessionsAsync(cancellationToken);

        public ValueTask<IReadOnlyList<string>> GetEphemeralsAsync(long sessionId, CancellationToken cancellationToken = default) => inner.GetEphemeralsAsync(sessionId, cancellationToken);

        public ValueTask<int> CountEphemeralsAsync(CancellationToken cancellationToken = default) => inner.CountEphemeralsAsync(cancellationToken);

        public ValueTask UpdateSessionTimeoutAsync(long sessionId, int timeoutMs, CancellationToken cancellationToken = default) => inner.UpdateSessionTimeoutAsync(sessionId, timeoutMs, cancellationToken);
    }
}
