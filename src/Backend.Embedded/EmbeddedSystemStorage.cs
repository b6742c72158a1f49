using ZkGateway.Backend.Embedded.Durability;
using ZkGateway.Backend.Functions;
using ZkGateway.Backend.Primitives;

namespace ZkGateway.Backend.Embedded;

/// <summary>
/// System storage for the embedded deployment: node metadata and sessions in memory, made durable by
/// <see cref="DurableStore"/> (each writer batch one fsync'd log record, written before anything of it
/// is acknowledged); timed locks and counters in memory only, since they need not outlive the one
/// process that uses them (the zxid counter restarts each epoch). The pending list is kept in memory
/// only, for the distributor: the log record carries the user-storage changes as well, so nothing is
/// left to re-apply from here after a crash (start-up replays the log into both storages).
/// </summary>
public sealed partial class EmbeddedSystemStorage : ISystemStorage, INodeTypeIndex
{
    private readonly DurableStore _store;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    // Node state; replaced once, when a lazy recovery's background load finishes (EmbeddedSystemStorage.Loading.cs).
    private NodeTables _tables = new();
    private readonly Dictionary<string, (LockToken Token, long ExpiresAt)> _locks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<long, SessionRecord> _sessions = [];
    private readonly SortedDictionary<long, Txn> _pending = [];

    /// <summary>Starts from the store's recovered snapshot; <see cref="Replay"/> then applies the log after it.</summary>
    public EmbeddedSystemStorage(DurableStore store, TimeProvider time)
    {
        _store = store;
        _time = time;
        foreach (var node in store.Recovered.SystemNodes)
        {
            _tables.Put(node);
        }
        if (store.Recovered.Indexed is { } indexed)
        {
            _pendingNodes = indexed.SystemNodes;
        }
        else
        {
            _loaded.SetResult();
        }
        foreach (var session in store.Recovered.Sessions)
        {
            _sessions[session.SessionId] = session;
        }
    }

    /// <summary>Applies one recovered log record (start-up, before anything else runs).</summary>
    internal void Replay(StoreRecord record)
    {
        lock (_lock)
        {
            switch (record)
            {
                case CommitRecord commit:
                    foreach (var request in commit.Requests)
                    {
                        // While the nodes load in the background, the load replays their part of the tail.
                        ApplyCommitted(request, addPending: false, nodes: _loaded.Task.IsCompleted);
                    }
                    break;
                case SessionTimeoutRecord timeout when _sessions.TryGetValue(timeout.SessionId, out var session):
                    _sessions[timeout.SessionId] = session with { TimeoutMs = timeout.TimeoutMs };
                    break;
            }
        }
    }

    /// <summary>The nodes, for a snapshot (called under the store's write lock).</summary>
    internal IReadOnlyList<SystemNode> CaptureNodes()
    {
        lock (_lock)
        {
            return [.. _tables.Nodes.Values];
        }
    }

    public SnapshotInfo? LastSnapshot => _store.LastSnapshot;

    public IOnlineBackup? OnlineBackup => _store;

    /// <summary>One node's state now, for a snapshot.</summary>
    internal SystemNode? NodeNow(string path)
    {
        lock (_lock)
        {
            return _tables.Nodes.GetValueOrDefault(path);
        }
    }

    /// <summary>The sessions, for a snapshot (called under the store's write lock).</summary>
    internal IReadOnlyList<SessionRecord> CaptureSessions()
    {
        lock (_lock)
        {
            return [.. _sessions.Values];
        }
    }

    /// <summary>True when the store holds no nodes yet (a fresh data directory).</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _loaded.Task.IsCompleted ? _tables.Nodes.Count == 0 : _pendingNodes == 0;
            }
        }
    }

    /// <summary>Sets a counter's value (the zxid counter starts at epoch &lt;&lt; 32 each start-up).</summary>
    public void SetCounter(string name, long value)
    {
        lock (_lock)
        {
            _counters[name] = value;
        }
    }

    public ValueTask<long> ReadCounterAsync(string name, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_counters.GetValueOrDefault(name));
        }
    }

    public ValueTask<int> CountEphemeralsAsync(CancellationToken cancellationToken = default) =>
        _loaded.Task.IsCompleted ? CountEphemerals() : AfterLoadAsync(CountEphemerals, cancellationToken);

    private ValueTask<int> CountEphemerals()
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_tables.Ephemerals.Sum(e => e.Value.Count));
        }
    }

    public ValueTask<LockResult> TryLockAsync(string path, LockToken token, TimeSpan lease, CancellationToken cancellationToken = default) =>
        _loaded.Task.IsCompleted ? TryLock(path, token, lease) : AfterLoadAsync(() => TryLock(path, token, lease), cancellationToken);

    private ValueTask<LockResult> TryLock(string path, LockToken token, TimeSpan lease)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            // Free, lapsed, ours, or held by an earlier delivery of our batch (the DynamoDB store's rule;
            // the in-process queue never delivers a batch twice, so here it only keeps the contract).
            if (_locks.TryGetValue(path, out var held) && held.Token != token && held.ExpiresAt > now && !token.Supersedes(held.Token))
            {
                return ValueTask.FromResult(new LockResult(false, null));
            }
            _locks[path] = (token, now + (long)lease.TotalMilliseconds);
            return ValueTask.FromResult(new LockResult(true, _tables.Nodes.GetValueOrDefault(path)));
        }
    }

    public ValueTask UnlockAsync(string path, LockToken token, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_locks.TryGetValue(path, out var held) && held.Token == token)
            {
                _locks.Remove(path);
            }
        }
        return ValueTask.CompletedTask;
    }

    public async ValueTask<bool[]> CommitAsync(IReadOnlyList<CommitRequest> requests, CancellationToken cancellationToken = default)
    {
        if (!_loaded.Task.IsCompleted && requests.Any(r => r.Nodes.Count > 0 || r.ClosedSession != 0))
        {
            await _loaded.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        var applied = new bool[requests.Count];
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            for (int i = 0; i < requests.Count; i++)
            {
                var request = requests[i];
                applied[i] = request.LockedPaths.All(p => _locks.TryGetValue(p, out var held) && held.Token == request.Token && held.ExpiresAt > now);
            }
        }

        await _store.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var durable = new List<CommitRequest>(requests.Count);
            for (int i = 0; i < requests.Count; i++)
            {
                var request = requests[i];
                if (applied[i] && (request.Nodes.Count > 0 || request.CreatedSession is not null || request.ClosedSession != 0 || request.Pending.ChangesState))
                {
                    durable.Add(request);
                }
            }
            if (durable.Count > 0)
            {
                try
                {
                    _store.Append(new CommitRecord(durable));
                }
                catch (StorageUnavailableException)
                {
                    // Nothing of the batch is applied; its locks go now rather than at their lease's end.
                    ReleaseLocks(requests);
                    throw;
                }
            }
            // Applied to memory under the store's lock: a snapshot that rolls the log finds every
            // record before the roll applied here (see DurableStore).
            lock (_lock)
            {
                for (int i = 0; i < requests.Count; i++)
                {
                    var request = requests[i];
                    if (applied[i])
                    {
                        ApplyCommitted(request, addPending: true, nodes: true);
                    }
                    foreach (string path in request.LockedPaths)
                    {
                        if (_locks.TryGetValue(path, out var held) && held.Token == request.Token)
                        {
                            _locks.Remove(path);
                        }
                    }
                }
            }
        }
        finally
        {
            _store.WriteLock.Release();
        }
        return applied;
    }

    private void ReleaseLocks(IReadOnlyList<CommitRequest> requests)
    {
        lock (_lock)
        {
            foreach (var request in requests)
            {
                foreach (string path in request.LockedPaths)
                {
                    if (_locks.TryGetValue(path, out var held) && held.Token == request.Token)
                    {
                        _locks.Remove(path);
                    }
                }
            }
        }
    }

    /// <summary>A committed request's effect on memory. Under <see cref="_lock"/>.</summary>
    private void ApplyCommitted(CommitRequest request, bool addPending, bool nodes)
    {
        if (nodes)
        {
            _tables.Apply(request);
        }
        if (request.CreatedSession is { } session)
        {
            _sessions[session.SessionId] = session;
        }
        if (request.ClosedSession != 0)
        {
            _sessions.Remove(request.ClosedSession);
        }
        if (addPending && request.Pending.ChangesState)
        {
            _pending[request.Pending.Zxid] = request.Pending;
        }
    }

    public ValueTask<long> IncrementCounterAsync(string name, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            long value = _counters.GetValueOrDefault(name) + 1;
            _counters[name] = value;
            return ValueTask.FromResult(value);
        }
    }

    public ValueTask<SystemNode?> GetNodeAsync(string path, CancellationToken cancellationToken = default) =>
        _loaded.Task.IsCompleted ? GetNode(path) : AfterLoadAsync(() => GetNode(path), cancellationToken);

    private ValueTask<SystemNode?> GetNode(string path)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_tables.Nodes.GetValueOrDefault(path));
        }
    }

    public ValueTask<IReadOnlyList<Txn>> GetPendingAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<Txn>>([.. _pending.Values]);
        }
    }

    /// <summary>Forgets applied pending entries (memory only: the log record holds their changes).</summary>
    public ValueTask PopPendingAsync(long zxid, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            while (_pending.Count > 0)
            {
                long first = _pending.Keys.First();
                if (first > zxid)
                {
                    break;
                }
                _pending.Remove(first);
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<SessionRecord?> GetSessionAsync(long sessionId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_sessions.GetValueOrDefault(sessionId));
        }
    }

    public ValueTask<IReadOnlyList<SessionRecord>> ListSessionsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<SessionRecord>>([.. _sessions.Values]);
        }
    }

    public ValueTask<IReadOnlyList<string>> GetEphemeralsAsync(long sessionId, CancellationToken cancellationToken = default) =>
        _loaded.Task.IsCompleted ? GetEphemerals(sessionId) : AfterLoadAsync(() => GetEphemerals(sessionId), cancellationToken);

    private ValueTask<IReadOnlyList<string>> GetEphemerals(long sessionId)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<string>>(_tables.Ephemerals.TryGetValue(sessionId, out var set) ? [.. set] : []);
        }
    }

    public async ValueTask UpdateSessionTimeoutAsync(long sessionId, int timeoutMs, CancellationToken cancellationToken = default)
    {
        await _store.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_lock)
            {
                if (!_sessions.TryGetValue(sessionId, out var session) || session.TimeoutMs == timeoutMs)
                {
                    return;
                }
            }
            _store.Append(new SessionTimeoutRecord(sessionId, timeoutMs));
            lock (_lock)
            {
                if (_sessions.TryGetValue(sessionId, out var session))
                {
                    _sessions[sessionId] = session with { TimeoutMs = timeoutMs };
                }
            }
        }
        finally
        {
            _store.WriteLock.Release();
        }
    }

    public ValueTask<IReadOnlyList<string>> ListContainersAndTtlNodesAsync(CancellationToken cancellationToken = default) =>
        _loaded.Task.IsCompleted ? ListContainersAndTtlNodes() : AfterLoadAsync(ListContainersAndTtlNodes, cancellationToken);

    private ValueTask<IReadOnlyList<string>> ListContainersAndTtlNodes()
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<string>>([.. _tables.ContainersAndTtls]);
        }
    }
}
