using ZkGateway.Jute.Data;

namespace ZkGateway.Backend.Primitives;

/// <summary>
/// Strongly consistent storage touched only by functions (DynamoDB on AWS): node metadata, timed
/// locks, counters, sessions, and the pending-update list.
/// </summary>
public interface ISystemStorage
{
    /// <summary>Takes a timed lock on a path (re-entrant for the same token) and reads the node in the same step.</summary>
    ValueTask<LockResult> TryLockAsync(string path, LockToken token, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Releases a lock if still held with this token.</summary>
    ValueTask UnlockAsync(string path, LockToken token, CancellationToken cancellationToken = default);

    /// <summary>
    /// Commits a batch of conditional commits durably (one storage transaction where the provider
    /// allows). Returns, per request, whether it was applied (false: a lock was lost).
    /// </summary>
    ValueTask<bool[]> CommitAsync(IReadOnlyList<CommitRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether the request can be committed as one atomic storage transaction (DynamoDB's
    /// TransactWriteItems takes at most 100 items); the writer refuses a request that cannot.
    /// </summary>
    bool FitsOneCommit(CommitRequest request) => true;

    /// <summary>
    /// Whether the request from <paramref name="request"/> was committed before (by a writer whose batch
    /// is now delivered again): its zxid, and its transaction while still pending. Null: never committed.
    /// The embedded store never sees a request twice (its queue is in-process) and answers null.
    /// </summary>
    ValueTask<CommittedRequest?> FindCommittedAsync(ReplyAddress request, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<CommittedRequest?>(null);

    /// <summary>
    /// The parts of a split closeSession of <paramref name="sessionId"/> that were committed (by a writer
    /// that then crashed or failed) and are still pending, in zxid order: the writer processing the
    /// close again distributes them before its own parts. Empty where closes are never split.
    /// </summary>
    ValueTask<IReadOnlyList<Txn>> GetPendingClosePartsAsync(long sessionId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<Txn>>([]);

    /// <summary>
    /// Records that the request of <paramref name="failed"/> (a write that failed validation and
    /// committed nothing) had this outcome, unless the request already has one: then that is returned
    /// (a transaction still pending, a recorded failure, or an applied request with nothing to resend),
    /// and the writer sends it instead. So a request processed again after a writer crash keeps its
    /// first outcome whether that was a commit or a failure. Null: recorded (or nothing to record).
    /// The embedded store never sees a request twice and records nothing.
    /// </summary>
    ValueTask<CommittedRequest?> RecordFailureAsync(Txn failed, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<CommittedRequest?>(null);

    /// <summary>Atomically increments a named counter and returns the new value.</summary>
    ValueTask<long> IncrementCounterAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Reads a counter's current value.</summary>
    ValueTask<long> ReadCounterAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Reads a node's committed state without locking.</summary>
    ValueTask<SystemNode?> GetNodeAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Transactions committed but not yet confirmed applied by the distributor, in zxid order.</summary>
    ValueTask<IReadOnlyList<Txn>> GetPendingAsync(CancellationToken cancellationToken = default);

    /// <summary>Drops pending entries up to and including <paramref name="zxid"/> (the distributor applied them).</summary>
    ValueTask PopPendingAsync(long zxid, CancellationToken cancellationToken = default);

    ValueTask<SessionRecord?> GetSessionAsync(long sessionId, CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(CancellationToken cancellationToken = default);

    /// <summary>Ephemeral node paths owned by a session.</summary>
    ValueTask<IReadOnlyList<string>> GetEphemeralsAsync(long sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// mntr's counts kept by the store itself (null: the caller counts user storage and
    /// <see cref="CountEphemeralsAsync"/> instead, as the embedded deployment does).
    /// </summary>
    ValueTask<TreeStatistics?> ReadTreeStatisticsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<TreeStatistics?>(null);

    /// <summary>The newest snapshot of the state, where the store takes snapshots (the embedded log store); null otherwise.</summary>
    SnapshotInfo? LastSnapshot => null;

    /// <summary>The store's online backup, where it has one (the embedded log store); null otherwise.</summary>
    IOnlineBackup? OnlineBackup => null;

    /// <summary>How many ephemeral nodes exist (for mntr's zk_ephemerals_count).</summary>
    ValueTask<int> CountEphemeralsAsync(CancellationToken cancellationToken = default);

    /// <summary>Updates a session's negotiated timeout (on resume).</summary>
    ValueTask UpdateSessionTimeoutAsync(long sessionId, int timeoutMs, CancellationToken cancellationToken = default);
}
