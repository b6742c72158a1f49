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
/// Issue 17: a writer instance that dies (or stalls) between taking its locks and committing must not
/// stop writes on those nodes for its lock lease (7 s); the next delivery of its batch takes the locks
/// over at once (docs/serverless.md, "Locks of a dead writer"). And the stalled instance, woken after
/// the takeover, commits nothing more and answers nothing. The storage clock never moves here, so a
/// writer that has to wait for a lease to lapse waits forever (each test's token gives up after 30 s).
/// </summary>
public sealed class DeadWriterLockTests : IAsyncLifetime
{
    private const long Session = 0x10c6;
    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(30);
    private EmulatorDeployment _deployment = null!;
    private readonly ManualTime _time = new(DateTimeOffset.UtcNow);
    private long _requestId;

    public async Task InitializeAsync()
    {
        _deployment = await EmulatorDeployment.CreateAsync("lockgap");
        var storage = NewInstance();
        var token = LockToken.New();
        await storage.TryLockAsync("/", token, WriterFunction.LockLease);
        var root = new SystemNode("/", new Stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), Acl.OpenAclUnsafe);
        var txn = new Txn(0, 0, 0, null, new WriteResult(ErrorCode.Ok, 0), [new NodeChange(NodeChangeKind.Put, "/", root.Stat, [])], []);
        Assert.Equal(new[] { true }, await storage.CommitAsync([new CommitRequest(token, ["/"], [new SystemNodeWrite("/", root)], null, 0, txn)]));
        await storage.SetCounterAsync(WriterFunction.ZxidCounter, 1L << 32);
        var created = new SentTxns();
        var writer = new WriterFunction(storage, created, _time, new BackendOptions());
        await writer.HandleBatchAsync([Request(new CreateSessionOperation(Session, new byte[16], 30000))], default);
        await writer.HandleBatchAsync([Request(new CreateOperation("/a", [0], Acl.OpenAclUnsafe, CreateMode.Persistent)), Request(new CreateOperation("/b", [0], Acl.OpenAclUnsafe, CreateMode.Persistent))], default);
        Assert.Equal([ErrorCode.Ok, ErrorCode.Ok, ErrorCode.Ok], created.Messages.Select(t => t.Result.Error));
    }

    public async Task DisposeAsync() => await _deployment.DisposeAsync();

    /// <summary>The system storage as one function instance sees it (its own lock reads), on the shared clock.</summary>
    private DynamoSystemStorage NewInstance() => new(_deployment.Clients, _time);

    private WriteRequest Request(WriteOperation op) =>
        new(Session, op, new ReplyAddress("gw-lockgap", Interlocked.Increment(ref _requestId)), CallerIdentity.Anonymous);

    private WriteRequest SetData(string path) => Request(new SetDataOperation(path, [(byte)_requestId], -1));

    [Fact]
    public async Task The_next_delivery_of_a_dead_writers_batch_commits_without_waiting_for_its_locks_lease()
    {
        var batch = new[] { SetData("/a") };
        var dying = new CommitGate(NewInstance(), dies: true);
        await Assert.ThrowsAsync<InvalidOperationException>(() => new WriterFunction(dying, new SentTxns(), _time, new BackendOptions()).HandleBatchAsync(batch, default, delivery: 1));

        // Its lock on /a is still there (the lease runs on a clock that never moves): only the takeover lets this in.
        var sent = new SentTxns();
        using var giveUp = new CancellationTokenSource(GiveUp);
        await new WriterFunction(NewInstance(), sent, _time, new BackendOptions()).HandleBatchAsync(batch, giveUp.Token, delivery: 2);

        var reply = Assert.Single(sent.Messages);
        Assert.Equal(ErrorCode.Ok, reply.Result.Error);
        Assert.Equal(1, (await NewInstance().GetNodeAsync("/a"))!.Stat.Version);
    }

    [Fact]
    public async Task A_stalled_writer_woken_after_the_takeover_commits_nothing_and_answers_nothing()
    {
        var batch = new[] { SetData("/a"), SetData("/b") };
        var stalled = new CommitGate(NewInstance(), dies: false);
        var stalledSent = new SentTxns();
        var stalledRun = new WriterFunction(stalled, stalledSent, _time, new BackendOptions()).HandleBatchAsync(batch, default, delivery: 1);
        await stalled.Reached.WaitAsync(GiveUp);

        var sent = new SentTxns();
        using var giveUp = new CancellationTokenSource(GiveUp);
        await new WriterFunction(NewInstance(), sent, _time, new BackendOptions()).HandleBatchAsync(batch, giveUp.Token, delivery: 2);
        Assert.Equal([ErrorCode.Ok, ErrorCode.Ok], sent.Messages.Select(t => t.Result.Error));

        // Woken: every commit of its batch fails on a lock, and it sends no reply (a SystemError would
        // contradict the Ok the taker sent).
        stalled.Open();
        var outcome = await Record.ExceptionAsync(() => stalledRun);
        Assert.Equal([], stalledSent.Messages.Select(t => t.Result.Error));
        Assert.IsType<LockLostException>(outcome);
        Assert.Equal(1, (await NewInstance().GetNodeAsync("/a"))!.Stat.Version);
        Assert.Equal(1, (await NewInstance().GetNodeAsync("/b"))!.Stat.Version);
    }

    [Fact]
    public async Task A_stalled_writer_whose_batch_came_back_shorter_commits_none_of_its_later_requests()
    {
        var first = SetData("/a");
        var second = SetData("/b");
        var stalled = new CommitGate(NewInstance(), dies: false);
        var stalledSent = new SentTxns();
        var stalledRun = new WriterFunction(stalled, stalledSent, _time, new BackendOptions()).HandleBatchAsync([first, second], default, delivery: 1);
        await stalled.Reached.WaitAsync(GiveUp);

        // The queue handed the next delivery only the first request (SQS may return fewer messages).
        var sent = new SentTxns();
        using var giveUp = new CancellationTokenSource(GiveUp);
        var taker = new WriterFunction(NewInstance(), sent, _time, new BackendOptions());
        await taker.HandleBatchAsync([first], giveUp.Token, delivery: 2);

        // Woken: /b's lock is still its own, but its zxid is below the one the taker committed for /a,
        // and committing it would put the session's second write before its first. It must stop.
        stalled.Open();
        var outcome = await Record.ExceptionAsync(() => stalledRun);
        Assert.Equal([], stalledSent.Messages.Select(t => t.Result.Error));
        Assert.IsType<LockLostException>(outcome);
        Assert.Equal(0, (await NewInstance().GetNodeAsync("/b"))!.Stat.Version);

        // The second request comes back (its own batch now) and commits after the first.
        await taker.HandleBatchAsync([second], giveUp.Token, delivery: 2);
        var a = (await NewInstance().GetNodeAsync("/a"))!.Stat;
        var b = (await NewInstance().GetNodeAsync("/b"))!.Stat;
        Assert.Equal((1, 1), (a.Version, b.Version));
        Assert.True(b.Mzxid > a.Mzxid, $"/b's write (zxid {b.Mzxid:x}) must come after /a's ({a.Mzxid:x})");
    }

    [Fact]
    public async Task A_stalled_writer_whose_first_request_takes_no_lock_stops_where_a_later_delivery_committed_it()
    {
        // A createSession locks nothing: the stalled writer meets only its marker, written by the taker.
        var first = Request(new CreateSessionOperation(Session + 1, new byte[16], 30000));
        var second = SetData("/b");
        var stalled = new CommitGate(NewInstance(), dies: false);
        var stalledSent = new SentTxns();
        var stalledRun = new WriterFunction(stalled, stalledSent, _time, new BackendOptions()).HandleBatchAsync([first, second], default, delivery: 1);
        await stalled.Reached.WaitAsync(GiveUp);

        var sent = new SentTxns();
        using var giveUp = new CancellationTokenSource(GiveUp);
        await new WriterFunction(NewInstance(), sent, _time, new BackendOptions()).HandleBatchAsync([first], giveUp.Token, delivery: 2);
        Assert.Equal([ErrorCode.Ok], sent.Messages.Select(t => t.Result.Error));

        // Woken: the marker holds a zxid above its own, so /b (still locked by it) must not be
        // committed below the session the taker created.
        stalled.Open();
        var outcome = await Record.ExceptionAsync(() => stalledRun);
        Assert.Equal([], stalledSent.Messages.Select(t => t.Result.Error));
        Assert.IsType<LockLostException>(outcome);
        Assert.Equal(0, (await NewInstance().GetNodeAsync("/b"))!.Stat.Version);
    }

    private sealed class SentTxns : IOrderedQueue<Txn>
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

    /// <summary>
    /// One function instance's storage whose writer stops when it is about to commit (its locks taken):
    /// it dies there (<paramref name="dies"/>), or stalls until <see cref="Open"/>, as a paused process.
    /// </summary>
    private sealed class CommitGate(ISystemStorage inner, bool dies) : ISystemStorage
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the writer reached its commit.</summary>
        public Task Reached => _reached.Task;

        public void Open() => _open.TrySetResult();

        public async ValueTask<bool[]> CommitAsync(IReadOnlyList<CommitRequest> requests, CancellationToken cancellationToken = default)
        {
            _reached.TrySetResult();
            if (dies)
            {
                throw new InvalidOperationException("the writer died between lock and commit");
            }
            await _open.Task.WaitAsync(cancellationToken);
            return await inner.CommitAsync(requests, cancellationToken);
        }

        public bool FitsOneCommit(CommitRequest request) => inner.FitsOneCommit(request);

        public ValueTask<IReadOnlyList<Txn>> GetPendingClosePartsAsync(long sessionId, CancellationToken cancellationToken = default) => inner.GetPendingClosePartsAsync(sessionId, cancellationToken);

        public ValueTask<CommittedRequest?> FindCommittedAsync(ReplyAddress request, CancellationToken cancellationToken = default) => inner.FindCommittedAsync(request, cancellationToken);

        public ValueTask<CommittedRequest?> RecordFailureAsync(Txn failed, CancellationToken cancellationToken = default) => inner.RecordFailureAsync(failed, cancellationToken);

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
