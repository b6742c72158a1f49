using ZkGateway.Backend.Primitives;
using ZkGateway.Jute.Protocol;

namespace ZkGateway.Backend.Functions.Writer;

/// <summary>
/// The group commit one batch builds: a conditional <see cref="CommitRequest"/> per request that
/// changes state (its locks, its writes, its session change and its transaction), the batch's
/// transactions in zxid order, and the locks to release afterwards. Requests later in the batch see
/// the effects of earlier ones through the batch overlay, as if they had been committed one by one.
/// </summary>
internal sealed class BatchCommit(ISystemStorage system, CloseSessionSplitter splitter, LockToken token)
{
    /// <summary>Every lock of the batch is taken with this token (re-entrant across its requests).</summary>
    private readonly LockToken _token = token;

    private readonly Dictionary<string, SystemNode?> _overlay = new(StringComparer.Ordinal);

    /// <summary>Sessions closed by an earlier request of this batch: their later requests find them expired.</summary>
    private readonly HashSet<long> _closed = [];

    /// <summary>
    /// Locks of requests that changed nothing are released after the batch's commit, not before: an
    /// earlier request of the batch may hold the same path (same token) until its commit.
    /// </summary>
    private readonly HashSet<string> _unlockAfterCommit = new(StringComparer.Ordinal);

    /// <summary>The commits, in zxid order.</summary>
    public List<CommitRequest> Commits { get; } = [];

    /// <summary>
    /// In zxid order; usually one per request, but a split closeSession adds several (its parts, and
    /// the parts an earlier attempt committed and never distributed).
    /// </summary>
    public List<Txn> Txns { get; } = [];

    /// <summary>The commit of what a request's scope staged and merged into the batch.</summary>
    public static CommitRequest CommitOf(RequestScope scope, Txn txn, long closingSession = 0) =>
        new(scope.Locks.Token, scope.Locks.Paths, scope.Writes, scope.CreatedSession, scope.ClosedSession, txn, closingSession);

    /// <summary>The scope of the batch's next request.</summary>
    public RequestScope NewScope() => new(new RequestLocks(system, _token), _overlay, _closed);

    /// <summary>Parts of a close that an earlier attempt split, committed and did not distribute: they go out first.</summary>
    public void AddEarlierParts(IReadOnlyList<Txn> parts) => Txns.AddRange(parts);

    /// <summary>Adds a prepared request: its commit if it changes state (split or refused if too large), and its transaction.</summary>
    public async Task AddAsync(WriteRequest request, Txn txn, RequestScope scope, CancellationToken ct)
    {
        if (!txn.ChangesState && scope.CreatedSession is null && scope.ClosedSession == 0)
        {
            _unlockAfterCommit.UnionWith(scope.Locks.Paths);
            Txns.Add(txn);
            return;
        }
        var staged = new CommitRequest(_token, scope.Locks.Paths, scope.StagedWrites(), scope.CreatedSession, scope.ClosedSession, txn);
        if (!system.FitsOneCommit(staged))
        {
            _unlockAfterCommit.UnionWith(scope.Locks.Paths);
            if (scope.ClosedSession != 0)
            {
                // closeSession deletes every ephemeral in ZooKeeper, however many: here in parts.
                var whole = scope;
                foreach (var (part, commit) in await splitter.SplitAsync(request, txn, () => ContinueScope(whole), ct).ConfigureAwait(false))
                {
                    Txns.Add(part);
                    Commits.Add(commit);
                }
                _closed.Add(request.SessionId);
                return;
            }
            // Larger than the provider's atomic commit (DynamoDB: 100 items). ZooKeeper has no such
            // limit; refusing the whole request keeps it all-or-nothing.
            Txns.Add(txn with { Changes = [], Triggers = [], ClosedSessionId = 0, Result = new WriteResult(ErrorCode.MarshallingError, txn.Zxid) });
            return;
        }
        scope.MergeIntoBatch();
        Commits.Add(CommitOf(scope, txn));
        if (scope.ClosedSession != 0)
        {
            _closed.Add(scope.ClosedSession);
        }
        Txns.Add(txn);
    }

    /// <summary>Releases the locks no commit of the batch released (the commit releases its own).</summary>
    public async Task ReleaseUnusedLocksAsync(CancellationToken ct)
    {
        foreach (var commit in Commits)
        {
            _unlockAfterCommit.ExceptWith(commit.LockedPaths);
        }
        foreach (string path in _unlockAfterCommit)
        {
            await system.UnlockAsync(path, _token, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A part of a split close: it continues the whole close's locks, under the same token.</summary>
    private RequestScope ContinueScope(RequestScope whole) => new(new RequestLocks(system, _token, whole.Locks), _overlay, new HashSet<long>());
}
