using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// System storage on DynamoDB, with the semantics of the embedded provider set's EmbeddedSystemStorage.
/// A facade over one class per concern, each owning its table or items:
/// <list type="bullet">
/// <item><see cref="DynamoNodes"/> and <see cref="DynamoNodeLocks"/>: <c>D-nodes</c> (pk <c>path</c>), a
/// node's committed state and its timed lock.</item>
/// <item><see cref="DynamoCounters"/>: <c>D-counters</c> (pk <c>name</c>, <c>value</c>), which also holds
/// the request markers (<see cref="RequestMarkers"/>) and mntr's counts (<see cref="DynamoTreeStatistics"/>).</item>
/// <item><see cref="DynamoPendingLog"/>: <c>D-pending</c>, committed transactions not yet applied, large
/// ones in S3.</item>
/// <item><see cref="DynamoSessionTable"/>: <c>D-sessions</c> (pk <c>sessionId</c>), sessions and their
/// ephemeral sets.</item>
/// <item><see cref="DynamoReapIndex"/>: the sparse index of container and TTL nodes.</item>
/// </list>
/// Each <see cref="CommitRequest"/> is one TransactWriteItems (<see cref="DynamoCommitBuilder"/>), so it
/// is all-or-nothing and conditional on our locks; requests of a batch are committed in order
/// (<see cref="DynamoCommitter"/>).
/// </summary>
public sealed class DynamoSystemStorage : ISystemStorage, INodeTypeIndex
{
    /// <summary>The name of the sparse index of container and TTL nodes (see <see cref="DynamoReapIndex"/>).</summary>
    public const string ReapIndex = DynamoReapIndex.IndexName;

    /// <summary>The reap index's hash key, present (value "0") exactly on container and TTL nodes.</summary>
    public const string ReapShardAttribute = DynamoReapIndex.Attribute;

    /// <summary>TransactWriteItems' limit on the items of one transaction.</summary>
    public const int MaxTransactionItems = DynamoCommitter.MaxItems;

    /// <summary>Serialized transactions above this go to S3 (a DynamoDB item holds at most 400 KB).</summary>
    public const int InlinePendingLimit = DynamoPendingLog.InlineLimit;

    /// <summary>The counters item holding mntr's tree counts (<c>nodes</c>, <c>bytes</c>, <c>ephemerals</c>, <c>upTo</c>).</summary>
    public const string StatisticsCounter = DynamoTreeStatistics.Counter;

    private readonly DynamoNodes _nodes;
    private readonly DynamoNodeLocks _locks;
    private readonly DynamoCounters _counters;
    private readonly DynamoSessionTable _sessions;
    private readonly DynamoPendingLog _pending;
    private readonly DynamoTreeStatistics _statistics;
    private readonly RequestMarkers _markers;
    private readonly DynamoReapIndex _reapIndex;
    private readonly DynamoCommitter _committer;

    public DynamoSystemStorage(AwsClients clients, TimeProvider? time = null)
    {
        var db = clients.DynamoDb;
        var settings = clients.Settings;
        time ??= TimeProvider.System;
        _nodes = new DynamoNodes(db, settings.NodesTable);
        _locks = new DynamoNodeLocks(db, _nodes, time);
        _counters = new DynamoCounters(db, settings.CountersTable);
        _sessions = new DynamoSessionTable(db, settings.SessionsTable);
        _statistics = new DynamoTreeStatistics(db, settings.CountersTable);
        _pending = new DynamoPendingLog(db, settings.PendingTable, new S3Payloads(clients.S3, settings), _statistics);
        _markers = new RequestMarkers(db, settings.CountersTable, _pending, time);
        _reapIndex = new DynamoReapIndex(db, settings.NodesTable);
        var builder = new DynamoCommitBuilder(_nodes, _locks, new SessionCommitItems(_sessions), _pending, _markers);
        _committer = new DynamoCommitter(db, _locks, _pending, builder, _markers);
    }

    /// <summary>Why the last refused request was refused (diagnostics; the interface only has a bool).</summary>
    public string? LastRefusal => _committer.LastRefusal;

    /// <summary>True when the deployment has no root node yet (bootstrap needed), as EmbeddedSystemStorage.IsEmpty.</summary>
    public async ValueTask<bool> IsEmptyAsync(CancellationToken cancellationToken = default) =>
        await _nodes.GetAsync("/", cancellationToken).ConfigureAwait(false) is null;

    public ValueTask<LockResult> TryLockAsync(string path, LockToken token, TimeSpan lease, CancellationToken cancellationToken = default) =>
        _locks.TryLockAsync(path, token, lease, cancellationToken);

    public ValueTask UnlockAsync(string path, LockToken token, CancellationToken cancellationToken = default) =>
        _locks.UnlockAsync(path, token, cancellationToken);

    /// <summary>
    /// A lower bound of the transaction items a request needs (see <see cref="CountTransactionItems"/>):
    /// lets a caller refuse an oversized request before locking more.
    /// </summary>
    public bool FitsOneCommit(CommitRequest request) => CountTransactionItems(request) <= MaxTransactionItems;

    /// <summary>
    /// A lower bound of the transaction items a request needs: its locked and written paths, the
    /// sessions it creates, closes or gives ephemerals, and the pending entry. (The owners of deleted
    /// ephemerals are known only from the previous states; <see cref="CommitAsync"/> counts exactly.)
    /// </summary>
    public static int CountTransactionItems(CommitRequest request) => DynamoCommitBuilder.CountItems(request);

    public ValueTask<bool[]> CommitAsync(IReadOnlyList<CommitRequest> requests, CancellationToken cancellationToken = default) =>
        _committer.CommitAsync(requests, cancellationToken);

    public ValueTask<CommittedRequest?> FindCommittedAsync(ReplyAddress request, CancellationToken cancellationToken = default) =>
        _markers.FindCommittedAsync(request, cancellationToken);

    public ValueTask<CommittedRequest?> RecordFailureAsync(Txn failed, CancellationToken cancellationToken = default) =>
        _markers.RecordFailureAsync(failed, cancellationToken);

    public ValueTask<long> IncrementCounterAsync(string name, CancellationToken cancellationToken = default) =>
        _counters.IncrementAsync(name, cancellationToken);

    public ValueTask<long> ReadCounterAsync(string name, CancellationToken cancellationToken = default) =>
        _counters.ReadAsync(name, cancellationToken);

    /// <summary>Sets a counter (the zxid counter starts at epoch &lt;&lt; 32), as EmbeddedSystemStorage.SetCounter.</summary>
    public ValueTask SetCounterAsync(string name, long value, CancellationToken cancellationToken = default) =>
        _counters.SetAsync(name, value, cancellationToken);

    public ValueTask<SystemNode?> GetNodeAsync(string path, CancellationToken cancellationToken = default) =>
        _nodes.GetAsync(path, cancellationToken);

    public ValueTask<IReadOnlyList<Txn>> GetPendingAsync(CancellationToken cancellationToken = default) =>
        _pending.ListAsync(cancellationToken);

    public ValueTask PopPendingAsync(long zxid, CancellationToken cancellationToken = default) =>
        _pending.PopAsync(zxid, cancellationToken);

    /// <summary>mntr's counts of the tree as the distributor has applied it (one eventually consistent GetItem).</summary>
    public ValueTask<TreeStatistics?> ReadTreeStatisticsAsync(CancellationToken cancellationToken = default) =>
        _statistics.ReadAsync(cancellationToken);

    public ValueTask<SessionRecord?> GetSessionAsync(long sessionId, CancellationToken cancellationToken = default) =>
        _sessions.GetAsync(sessionId, cancellationToken);

    public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(CancellationToken cancellationToken = default) =>
        _sessions.ListAsync(cancellationToken);

    public ValueTask<IReadOnlyList<string>> GetEphemeralsAsync(long sessionId, CancellationToken cancellationToken = default) =>
        _sessions.GetEphemeralsAsync(sessionId, cancellationToken);

    public ValueTask<int> CountEphemeralsAsync(CancellationToken cancellationToken = default) =>
        _sessions.CountEphemeralsAsync(cancellationToken);

    public ValueTask UpdateSessionTimeoutAsync(long sessionId, int timeoutMs, CancellationToken cancellationToken = default) =>
        _sessions.UpdateTimeoutAsync(sessionId, timeoutMs, cancellationToken);

    /// <summary>The committed parts of a split close still pending: the session item names them, the pending list holds them.</summary>
    public async ValueTask<IReadOnlyList<Txn>> GetPendingClosePartsAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        var parts = await _sessions.GetClosePartsAsync(sessionId, cancellationToken).ConfigureAwait(false);
        return parts.Count == 0 ? [] : await _pending.GetStillPendingAsync(parts, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The container and TTL nodes, from the sparse reap index (eventually consistent).</summary>
    public ValueTask<IReadOnlyList<string>> ListContainersAndTtlNodesAsync(CancellationToken cancellationToken = default) =>
        _reapIndex.ListContainersAndTtlNodesAsync(cancellationToken);
}
